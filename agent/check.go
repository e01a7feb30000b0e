package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"storeedge/agent/config"
	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
)

// Check finds what a loaded config asks for that this build cannot do, each
// problem naming the file, line and field. check-config and New both run it,
// so a config that passes check-config starts.
func Check(cfg *config.Config) error {
	var errs config.Errors
	schemes := printer.Schemes()
	for i, p := range cfg.Printers {
		if slices.Contains(schemes, p.URI.Scheme) {
			continue
		}
		if why, ok := printer.Unavailable(p.URI.Scheme); ok {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("printer[%d].uri", i),
				"%s:// printers are not supported by this build: %s", p.URI.Scheme, why))
			continue
		}
		errs = append(errs, cfg.FieldError(fmt.Sprintf("printer[%d].uri", i),
			"%s:// printers are not supported by this build (supported: %s)", p.URI.Scheme, strings.Join(schemes, ", ")))
	}
	for i, p := range cfg.Platforms {
		if !slices.Contains(platformTypes, p.Type) {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("platform[%d].type", i),
				"%q platforms are not supported by this build (supported: %s)", p.Type, strings.Join(platformTypes, ", ")))
		}
	}
	errs = append(errs, checkYouzan(cfg)...)
	errs = append(errs, checkTicketFiles(cfg)...)
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *config.Error) int { return a.Line - b.Line })
	return errs
}

// checkYouzan checks what the Youzan client needs: store ids that are
// outlet ids or branch kdt_ids, branch grants only in chain mode, and push
// addresses that are not already taken by the status page or another
// platform.
func checkYouzan(cfg *config.Config) config.Errors {
	var errs config.Errors
	byName := map[string]config.Platform{}
	for _, p := range cfg.Platforms {
		byName[p.Name] = p
	}
	for i, s := range cfg.Stores {
		p, ok := byName[s.Platform]
		if !ok || p.Type != "youzan" {
			if s.GrantID != "" {
				errs = append(errs, cfg.FieldError(fmt.Sprintf("store[%d].grant_id", i),
					"only stores of a Youzan platform in mode %q take grant_id", config.ModeChain))
			}
			continue
		}
		what := "a Youzan outlet id (offline_id, from `storeedge stores`)"
		if p.Mode == config.ModeChain {
			what = "a Youzan chain branch's kdt_id (from `storeedge stores`)"
		}
		if s.ID == "" || strings.Trim(s.ID, "0123456789") != "" {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("store[%d].id", i), "%q is not %s: digits only", s.ID, what))
		}
		if s.GrantID != "" && p.Mode != config.ModeChain {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("store[%d].grant_id", i),
				"a branch's own grant is for mode %q; platform %q is %q (its outlets use the shop's token)", config.ModeChain, p.Name, p.Mode))
		}
	}
	taken := map[string]string{cfg.Agent.StatusListen: "status_listen"}
	for i, p := range cfg.Platforms {
		if _, port, _ := net.SplitHostPort(p.PushListen); p.PushListen == "" || port == "0" {
			continue // port 0 picks a free port
		}
		if other, dup := taken[p.PushListen]; dup {
			errs = append(errs, cfg.FieldError(fmt.Sprintf("platform[%d].push_listen", i), "%s is already %s", p.PushListen, other))
			continue
		}
		taken[p.PushListen] = fmt.Sprintf("platform[%d].push_listen", i)
	}
	return errs
}

// platformTypes are the platform types newSource can make.
var platformTypes = []string{"youzan", "wdt"}

// checkTicketFiles reads every ticket template and logo the config names:
// a template that does not parse or names unknown tags, or a logo that is
// not a PNG, is reported at its key with the template's own file and line.
func checkTicketFiles(cfg *config.Config) config.Errors {
	var errs config.Errors
	seen := map[string]error{}
	tmpl := func(field, path string) {
		if path == "" {
			return
		}
		err, done := seen[path]
		if !done {
			_, err = ticket.LoadTemplate(path)
			seen[path] = err
		}
		if err != nil {
			errs = append(errs, cfg.FieldError(field, "%v", err))
		}
	}
	for i, p := range cfg.Printers {
		tmpl(fmt.Sprintf("printer[%d].template", i), p.Template)
		if p.Logo != "" {
			if _, err := loadLogo(p.Logo); err != nil {
				errs = append(errs, cfg.FieldError(fmt.Sprintf("printer[%d].logo", i), "%v", err))
			}
		}
	}
	for i, b := range cfg.Bindings {
		tmpl(fmt.Sprintf("binding[%d].template", i), b.Template)
	}
	return errs
}

// loadLogo reads a PNG logo.
func loadLogo(path string) (*ticket.Logo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	img, err := escpos.ReadPNG(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ticket.NewLogo(img), nil
}
