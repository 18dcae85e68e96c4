module github.com/postfix-go/postfix-go

go 1.26.0

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/miekg/dns v1.1.73
	golang.org/x/sys v0.50.0
)

require golang.org/x/net v0.57.0 // indirect
