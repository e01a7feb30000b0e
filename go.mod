module storeedge

go 1.26.0

require go.etcd.io/bbolt v1.5.0

require (
	github.com/google/gousb v1.1.3 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/kardianos/service v1.3.0 // indirect
	github.com/pelletier/go-toml/v2 v2.4.3 // indirect
	go.bug.st/serial v1.8.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
