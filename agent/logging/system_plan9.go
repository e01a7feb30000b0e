package logging

import "errors"

// OpenSystemLog fails: Plan 9 has no system log to write to.
func OpenSystemLog(name string) (SystemLog, error) {
	return nil, errors.New("no system log on plan9")
}
