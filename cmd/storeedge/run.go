package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"storeedge/agent"
	"storeedge/agent/config"
	"storeedge/agent/demo"
	"storeedge/agent/service"
	"storeedge/version"
)

func init() {
	register("run", "run the agent from a config file", cmdRun)
	register("demo", "run the simulator, the agent and virtual printers on this machine", cmdDemo)
	register("check-config", "check a config file and exit", cmdCheckConfig)
	register("version", "print version, commit and build date", cmdVersion)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("storeedge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags turns flag errors into usage errors; -h is not an error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

var errHelp = usageError{errors.New("help requested")}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// loadConfig loads a config and checks it against what this build can do;
// every problem is a usage error (exit status 2).
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return nil, usagef("--config FILE is required")
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, usageError{err}
	}
	if err := agent.Check(cfg); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// cmdRun runs the agent by hand (logs to the terminal, Ctrl-C stops it) or
// as the installed service (logs to the data directory and the system log,
// the service manager stops it); see runAgent.
func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	cfgPath := fs.String("config", "", "config `FILE` (TOML)")
	stopTimeout := fs.Duration("stop-timeout", service.DefaultStopTimeout, "how long a stop waits for printers to finish the tickets they are printing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *stopTimeout <= 0 {
		return usagef("--stop-timeout %v: must be positive", *stopTimeout)
	}
	asService := service.RunningAsService()
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		if asService {
			notifyNotStarted(err)
		}
		return err
	}
	return runAgent(cfg, asService, *stopTimeout, stdout, stderr)
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-config", stderr)
	cfgPath := fs.String("config", "", "config `FILE` (TOML)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if err := agent.CheckData(cfg); err != nil {
		return fmt.Errorf("config %s is good, but its data directory is not:\n%w", cfg.File, err)
	}
	fmt.Fprintf(stdout, "%s: ok (stores: %d, platforms: %d, printers: %d, bindings: %d)\n",
		cfg.File, len(cfg.Stores), len(cfg.Platforms), len(cfg.Printers), len(cfg.Bindings))
	return nil
}

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	data := fs.String("data", ".storeedge-data", "data `DIR` for the queue, config and printer files")
	listen := fs.String("listen", "127.0.0.1:8723", "status page `ADDR`")
	rate := fs.Float64("orders-per-minute", 6, "new orders per minute across the simulator's stores")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rate < 0 {
		return usagef("--orders-per-minute %v: must not be negative", *rate)
	}
	ctx, stop := signalContext()
	defer stop()
	return demo.Run(ctx, demo.Options{
		DataDir: *data, Listen: *listen, OrdersPerMinute: *rate,
		Logger: newLogger(stderr, *level), Out: stdout, Version: version.Version,
	})
}

func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, version.Get())
	return nil
}
