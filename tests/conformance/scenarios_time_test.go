package conformance

// timeScenarios cover ttl capping and expiry. They observe expiry only
// through its effect (the server closes the cached descriptor, so the
// other end reads EOF; later finds miss) and never assert a time: stock
// timers have whole-second resolution.
var timeScenarios = []scenario{
	{
		// ttl=100 is capped to connection_cache_ttl_limit (2s here), so
		// the session is closed long before 100 s. A first session taken
		// right away shows the cap did not turn into "expire at once".
		name: "TTLCappedToLimit",
		run: func(s *session) {
			c := s.dial()
			e := s.label("E")
			p1, p2 := s.socketpair(), s.socketpair()
			s.write(p1.local, "first")
			c.saveEndp("100", e, "p1", p1.remote)
			s.closeFD(p1.remote)
			c.saveEndp("100", e, "p2", p2.remote)
			s.closeFD(p2.remote)
			fd := c.findEndpHit(e, "p1")
			s.carries(fd, p1.local, "first")
			s.waitEOF(p2.local, expiryLimit)
			c.findEndpMiss(e)
		},
	},
	{
		// Expiry of both kinds of entry. The binding D→E2 is saved
		// before the ttl=1 session on E, so its deadline is not later;
		// once E's descriptor is closed, the binding has expired too,
		// and find_dest misses although E2 still holds a live session.
		name: "Expiry",
		run: func(s *session) {
			c := s.dial()
			d, e, e2 := s.label("D"), s.label("E"), s.label("E2")
			c.saveDest("1", d, "dp", e2)
			live := s.socketpair()
			s.write(live.local, "alive")
			c.saveEndp("30", e2, "ep2", live.remote)
			s.closeFD(live.remote)
			short := s.socketpair()
			c.saveEndp("1", e, "ep", short.remote)
			s.closeFD(short.remote)
			s.waitEOF(short.local, expiryLimit)
			c.findEndpMiss(e)
			c.findDestMiss(d)
			fd := c.findEndpHit(e2, "ep2")
			s.carries(fd, live.local, "alive")
		},
	},
}
