package logging

import "os"

// OpenSystemLog opens the journal when systemd-journald runs, else the local
// syslog daemon.
func OpenSystemLog(name string) (SystemLog, error) {
	if _, err := os.Stat(JournalSocket); err == nil {
		if j, err := OpenJournal(JournalSocket, name); err == nil {
			return j, nil
		}
	}
	s, err := OpenSyslog("", "", name)
	if err != nil {
		return nil, err
	}
	return s, nil
}
