package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"storeedge/agent"
	"storeedge/agent/config"
	"storeedge/agent/logging"
	"storeedge/agent/service"
	"storeedge/queue"
	"storeedge/version"
)

func init() {
	register("install", "install storeedge as a service that starts at boot", cmdInstall)
	register("uninstall", "stop and remove the service (config and data stay)", cmdUninstall)
	register("start", "start the installed service", serviceCommand("start"))
	register("stop", "stop the service, letting printers finish their tickets", serviceCommand("stop"))
	register("restart", "stop and start the service (after editing the config)", serviceCommand("restart"))
	register("status", "say whether the service is installed and running", cmdStatus)
}

func cmdInstall(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("install", stderr)
	cfgPath := fs.String("config", "", "config `FILE` (TOML) the service runs with")
	printOnly := fs.Bool("print", false, "print what would be installed (the systemd unit or the Windows service settings) and stop")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	s, err := service.Defaults().ForInstall(cfg.File, cfg.Agent.DataDir)
	if err != nil {
		return err
	}
	if *printOnly {
		if runtime.GOOS == "windows" {
			fmt.Fprint(stdout, service.WindowsSettings(s))
			return nil
		}
		unit, err := service.SystemdUnit(s)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, unit)
		return nil
	}
	m, err := service.NewManager(s)
	if err != nil {
		return err
	}
	if err := m.Install(); err != nil {
		return err
	}
	s = m.Settings()
	fmt.Fprintf(stdout, "installed the %s service (%s)\n  runs:   %s run --config %s\n  data:   %s\n  logs:   %s\nstart it with: storeedge start\n",
		s.Name, service.Platform(), s.Executable, s.Config, s.DataDir, logging.Dir(s.DataDir))
	return nil
}

func cmdUninstall(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("uninstall", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := service.NewManager(service.Defaults())
	if err != nil {
		return err
	}
	if err := m.Uninstall(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "uninstalled the %s service; the config file and the data directory (print queue, logs) were kept\n", service.Name)
	return nil
}

// serviceCommand makes start, stop and restart.
func serviceCommand(what string) func(args []string, stdout, stderr io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		fs := newFlags(what, stderr)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		m, err := service.NewManager(service.Defaults())
		if err != nil {
			return err
		}
		do := map[string]func() error{"start": m.Start, "stop": m.Stop, "restart": m.Restart}[what]
		if err := do(); err != nil {
			return err
		}
		st, err := m.Status()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s service: %s\n", service.Name, st)
		return nil
	}
}

func cmdStatus(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := service.NewManager(service.Defaults())
	if err != nil {
		return err
	}
	st, err := m.Status()
	if err != nil && !errors.Is(err, service.ErrNotInstalled) {
		return err
	}
	fmt.Fprintf(stdout, "%s service: %s (%s)\n", service.Name, st, service.Platform())
	return nil
}

// runAgent runs the agent under service.Run. By hand it logs text to the
// terminal; as the service, JSON to <data_dir>/logs, with start, stop and
// failures also in the system log. A stop lets the printers finish the
// tickets they are writing for at most stopTimeout.
func runAgent(cfg *config.Config, asService bool, stopTimeout time.Duration, stdout, stderr io.Writer) error {
	level, err := logging.ParseLevel(cfg.Agent.LogLevel)
	if err != nil {
		return usageError{err}
	}
	logs, err := logging.Setup(logging.Options{
		Level: level, Service: asService, Dir: logging.Dir(cfg.Agent.DataDir), Terminal: stderr,
	})
	if err != nil {
		err = fmt.Errorf("set up logging: %w", err)
		if asService {
			notifyNotStarted(err)
		}
		return err
	}
	defer logs.Close()
	started := false
	err = service.Run(service.Program{
		StopTimeout: stopTimeout,
		Start: func() (service.RunFunc, error) {
			a, err := agent.New(cfg, agent.Options{Logger: logs.Logger, Version: version.Version})
			if errors.Is(err, queue.ErrLocked) {
				err = fmt.Errorf("%w\nanother storeedge is already running on data directory %s (the service? see 'storeedge status')", err, cfg.Agent.DataDir)
			}
			if err != nil {
				logs.Event(slog.LevelError, "storeedge could not start", "err", err, "config", cfg.File)
				return nil, err
			}
			started = true
			if !asService {
				fmt.Fprintf(stdout, "storeedge %s: status page %s\n", version.Version, a.StatusURL())
			}
			v := version.Get()
			logs.Event(slog.LevelInfo, "storeedge started", "version", v.Version, "commit", v.Commit,
				"config", cfg.File, "data_dir", cfg.Agent.DataDir, "status", a.StatusURL(), "pid", os.Getpid())
			return a.Run, nil
		},
		Fatal: func(err error) {
			logs.Event(slog.LevelError, "storeedge failed", "err", err)
			logs.Close()
			os.Exit(exitFailure)
		},
	})
	switch {
	case err == nil:
		logs.Event(slog.LevelInfo, "storeedge stopped")
	case errors.Is(err, service.ErrStopTimeout) || errors.Is(err, service.ErrInterrupted):
		logs.Event(slog.LevelWarn, "storeedge stopped before its printers finished; tickets they were printing print again marked as reprints", "err", err)
	case started:
		logs.Event(slog.LevelError, "storeedge failed", "err", err)
	}
	return err
}

// notifyNotStarted tells the system log why the service did not start when
// its own logs cannot say it (the config did not load).
func notifyNotStarted(err error) {
	_ = logging.Notify(service.Name, slog.LevelError, "storeedge could not start", "err", err)
}
