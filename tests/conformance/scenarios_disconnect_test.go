package conformance

// disconnectScenarios hang up in the middle of an exchange. The server
// must log, drop that client only, and serve the next one; a descriptor
// it was about to hand over is lost (closed), as in stock.
var disconnectScenarios = []scenario{
	{
		name: "DisconnectInsideValue",
		run: func(s *session) {
			c := s.dial()
			c.send([]byte("request\x00save_endp\x00ttl\x005\x00label\x00x"))
			c.close()
			s.dial().findEndpMiss(s.label("x"))
		},
		warn: []string{"unexpected end-of-input from {svc} socket while reading input attribute value", badSaveEndp},
	},
	{
		name: "DisconnectInsideName",
		run: func(s *session) {
			c := s.dial()
			c.send([]byte("request\x00save_endp\x00tt"))
			c.close()
			s.dial().findEndpMiss(s.label("x"))
		},
		warn: []string{"unexpected end-of-input from {svc} socket while reading input attribute name", badSaveEndp},
	},
	{
		// The client takes the dummy and leaves without a descriptor.
		// The errno text differs, as the spec allows: stock prints a
		// stale errno ("Broken pipe" in the probe), ours "receive file
		// descriptor: unexpected end-of-input".
		name: "DisconnectInsteadOfDescriptor",
		run: func(s *session) {
			c := s.dial()
			c.send(saveEndpReq("5", s.label("x"), "y"))
			c.expect(dummy)
			c.close()
			s.dial().findEndpMiss(s.label("x"))
		},
		warn: []string{"scache_save_endp_service: unable to receive file descriptor: %m"},
	},
	{
		// A hit, but the client leaves before its first dummy: the server
		// closes the session (the other end reads EOF) and it is gone.
		// Errno text: stock a stale one ("Broken pipe"), ours "EOF".
		name: "DisconnectBeforeFirstDummy",
		run: func(s *session) {
			c := s.dial()
			e := s.label("E")
			p := s.socketpair()
			c.saveEndp("30", e, "p", p.remote)
			s.closeFD(p.remote)
			c.send(findEndpReq(e))
			c.hit(endpHit("p"))
			c.close()
			s.waitEOF(p.local, expiryLimit)
			s.dial().findEndpMiss(e)
		},
		warn: []string{"scache_find_endp_service: cannot send file descriptor: %m"},
	},
	{
		// The client has the descriptor but leaves without the second
		// dummy. It keeps a working session; the server's copy is closed.
		name: "DisconnectBeforeSecondDummy",
		run: func(s *session) {
			c := s.dial()
			d, e := s.label("D"), s.label("E")
			p := s.socketpair()
			s.write(p.local, "kept")
			c.saveEndp("30", e, "ep", p.remote)
			s.closeFD(p.remote)
			c.saveDest("30", d, "dp", e)
			c.send(findDestReq(d))
			c.hit(destHit("dp", "ep"))
			c.send([]byte(dummy))
			fd := c.recvFD()
			c.close()
			s.carries(fd, p.local, "kept")
			s.dial().findDestMiss(d)
		},
		warn: []string{"scache_find_dest_service: cannot send file descriptor: %m"},
	},
}
