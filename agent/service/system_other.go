//go:build !linux && !windows

package service

import (
	"fmt"
	"runtime"
)

// otherSystem controls a service another way installed; it installs none.
type otherSystem struct{}

func newHostSystem() system { return otherSystem{} }

func (otherSystem) checkInstall(Settings, string) error {
	return fmt.Errorf("install the service: storeedge installs as a service on Linux (systemd) and Windows, not on %s", runtime.GOOS)
}

func (otherSystem) supports(string) error { return nil }

func (otherSystem) prepareInstall(s Settings) (Settings, error) { return s, nil }
func (otherSystem) finishInstall(Settings) error                { return nil }
func (otherSystem) checkUninstall(Settings) error               { return nil }
func (otherSystem) explain(what string, err error) error        { return fmt.Errorf("%s: %w", what, err) }
