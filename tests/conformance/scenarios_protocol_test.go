package conformance

import "fmt"

// protocolScenarios are well-formed exchanges, as smtp(8) makes them.
// Neither server may log anything for them.
var protocolScenarios = []scenario{
	{
		// dial checks the 36-byte announcement; the sentinel that every
		// scenario ends with proves nothing else followed it.
		name: "Announcement",
		run:  func(s *session) { s.dial() },
	},
	{
		// Misses still carry empty property attributes (20 and 30
		// bytes): stock clients scan them strictly.
		name: "Misses",
		run: func(s *session) {
			c := s.dial()
			c.findEndpMiss(s.label("E"))
			c.findDestMiss(s.label("D"))
		},
	},
	{
		name: "SaveFindEndpointDescriptorWorks",
		run: func(s *session) {
			c := s.dial()
			p := s.socketpair()
			s.write(p.local, "hello")
			c.saveEndp("30", s.label("E"), "prop-a", p.remote)
			// Our copy shares the open file description with the
			// server's: O_NONBLOCK set on receipt would show here.
			s.blocking(p.remote, "cached descriptor")
			s.closeFD(p.remote)
			fd := c.findEndpHit(s.label("E"), "prop-a")
			s.blocking(fd, "returned descriptor")
			s.carries(fd, p.local, "hello")
			c.findEndpMiss(s.label("E"))
		},
	},
	{
		// Sessions of one endpoint come back oldest first, then the
		// endpoint is gone.
		name: "FIFOThreeSaves",
		run: func(s *session) {
			c := s.dial()
			var locals []int
			for i := range 3 {
				p := s.socketpair()
				s.write(p.local, fmt.Sprintf("marker%d", i))
				c.saveEndp("30", s.label("L"), fmt.Sprintf("prop%d", i), p.remote)
				s.closeFD(p.remote)
				locals = append(locals, p.local)
			}
			for i := range 3 {
				fd := c.findEndpHit(s.label("L"), fmt.Sprintf("prop%d", i))
				s.blocking(fd, fmt.Sprintf("returned descriptor %d", i))
				s.carries(fd, locals[i], fmt.Sprintf("marker%d", i))
			}
			c.findEndpMiss(s.label("L"))
		},
	},
	{
		// The probe's binding case: D1→E1(dp1), D1→E2(dp2), a refresh of
		// (E1,dp1) that keeps its place, a new (E1,dp1b). Bindings are
		// walked oldest first and survive finds; endpoints without
		// sessions are skipped.
		name: "DestinationBindings",
		run: func(s *session) {
			c := s.dial()
			d, e1, e2 := s.label("D1"), s.label("E1"), s.label("E2")
			c.findDestMiss(d)
			c.saveDest("30", d, "dp1", e1)
			c.saveDest("30", d, "dp2", e2)
			c.saveDest("30", d, "dp1", e1)
			c.saveDest("30", d, "dp1b", e1)
			c.findDestMiss(d) // bindings but no sessions
			p2, p1 := s.socketpair(), s.socketpair()
			s.write(p2.local, "E2-sess")
			c.saveEndp("30", e2, "ep2", p2.remote)
			s.closeFD(p2.remote)
			s.write(p1.local, "E1-sess")
			c.saveEndp("30", e1, "ep1", p1.remote)
			s.closeFD(p1.remote)
			fd := c.findDestHit(d, "dp1", "ep1")
			s.carries(fd, p1.local, "E1-sess")
			fd = c.findDestHit(d, "dp2", "ep2")
			s.carries(fd, p2.local, "E2-sess")
			c.findDestMiss(d)
		},
	},
	{
		// Sessions saved on several client connections form one FIFO;
		// any connection may take them.
		name: "SeveralConnectionsOneEndpoint",
		run: func(s *session) {
			e := s.label("E")
			savers := []*conn{s.dial(), s.dial(), s.dial()}
			taker := s.dial()
			var locals []int
			for i, c := range savers {
				p := s.socketpair()
				s.write(p.local, fmt.Sprintf("from-%s", c.name))
				c.saveEndp("30", e, fmt.Sprintf("p%d", i), p.remote)
				s.closeFD(p.remote)
				locals = append(locals, p.local)
			}
			for i, c := range savers {
				fd := taker.findEndpHit(e, fmt.Sprintf("p%d", i))
				s.carries(fd, locals[i], fmt.Sprintf("from-%s", c.name))
			}
			// One saved by the taker goes to the first saver.
			p := s.socketpair()
			s.write(p.local, "back")
			taker.saveEndp("30", e, "p-back", p.remote)
			s.closeFD(p.remote)
			fd := savers[0].findEndpHit(e, "p-back")
			s.carries(fd, p.local, "back")
			savers[2].findEndpMiss(e)
		},
	},
	{
		// The trailing dummy of a find usually arrives glued to the next
		// request in one read; the server must serve it from its buffer
		// without waiting for another readable event.
		name: "DummyGluedToNextRequest",
		run: func(s *session) {
			c := s.dial()
			e, d := s.label("E"), s.label("D")
			p1, p2 := s.socketpair(), s.socketpair()
			s.write(p1.local, "one")
			c.saveEndp("30", e, "ep1", p1.remote)
			s.closeFD(p1.remote)
			s.write(p2.local, "two")
			c.saveEndp("30", e, "ep2", p2.remote)
			s.closeFD(p2.remote)
			c.send(findEndpReq(e))
			c.hit(endpHit("ep1"))
			fd := c.takeFD(saveDestReq("30", d, "dp", e))
			c.expect(statusOK)
			s.carries(fd, p1.local, "one")
			c.send(findDestReq(d))
			c.hit(destHit("dp", "ep2"))
			fd = c.takeFD(findEndpReq(e))
			c.expect(endpMiss)
			s.carries(fd, p2.local, "two")
		},
	},
	{
		name: "TwoRequestsInOneWrite",
		differs: "stock's client stream has one buffer, and writing a reply discards input " +
			"still in it (spec §1.6), so stock answers only the first of two pipelined " +
			"requests; ours answers both. Harmless: stock clients never pipeline except " +
			"for the trailing dummy, which is read before the next reply is written",
		run: func(s *session) {
			c := s.dial()
			c.send(glue(findEndpReq(s.label("E")), findDestReq(s.label("D"))))
			c.expect(endpMiss)
			if s.ours() {
				c.expect(destMiss)
			}
		},
	},
}
