package agent

import (
	"fmt"
	"slices"
	"strings"

	"storeedge/agent/config"
	"storeedge/printer"
)

// Check finds what a loaded config asks for that this build cannot do, each
// problem naming the file, line and field. check-config and New both run it,
// so a config that passes check-config starts.
func Check(cfg *config.Config) error {
	var errs config.Errors
	schemes := printer.Schemes()
	for i, p := range cfg.Printers {
		if !slices.Contains(schemes, p.URI.Scheme) {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("printer[%d].uri", i),
				"%s:// printers are not supported by this build (supported: %s)", p.URI.Scheme, strings.Join(schemes, ", ")))
		}
	}
	for i, b := range cfg.Bindings {
		if b.Backup != "" {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("binding[%d].backup", i),
				"failover to a backup printer is not supported by this build; remove backup"))
		}
	}
	if cfg.Agent.Uncertain != "" && cfg.Agent.Uncertain != "reprint" {
		errs = append(errs, cfg.FieldError("agent.uncertain",
			"%q is not supported by this build; use \"reprint\"", cfg.Agent.Uncertain))
	}
	for i, p := range cfg.Platforms {
		if !slices.Contains(platformTypes, p.Type) {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("platform[%d].type", i),
				"%q platforms are not supported by this build (supported: %s)", p.Type, strings.Join(platformTypes, ", ")))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *config.Error) int { return a.Line - b.Line })
	return errs
}

// platformTypes are the platform types newSource can make.
var platformTypes = []string{"youzan"}
