//go:build !windows && !plan9 && !linux

package logging

// OpenSystemLog opens the local syslog daemon.
func OpenSystemLog(name string) (SystemLog, error) {
	s, err := OpenSyslog("", "", name)
	if err != nil {
		return nil, err
	}
	return s, nil
}
