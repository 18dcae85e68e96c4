package conformance

// Stock warning texts ("{svc}" is the service name; see scenario.warn).
const (
	badFindEndp  = "scache_find_endp_service: bad or missing request parameter"
	badFindDest  = "scache_find_dest_service: bad or missing request parameter"
	badSaveEndp  = "scache_save_endp_service: bad or missing request parameter"
	badSaveDest  = "scache_save_dest_service: bad or missing request parameter"
	missingLabel = "missing attribute label in input from {svc} socket"
)

// exchange is a scenario body that sends one request on a fresh
// connection and expects one reply. The sentinel at the end of every
// scenario then proves the connection survived: stock never disconnects
// a client for a bad request (spec §1.6).
func exchange(request []byte, reply string) func(*session) {
	return func(s *session) {
		c := s.dial()
		c.send(request)
		c.expect(reply)
	}
}

// badScenarios are malformed requests, with the replies and warnings of
// the stock probe (testdata/scache-probe-edgecases.txt, test "bad").
var badScenarios = []scenario{
	{
		// Unknown requests get a status-only reply.
		name: "UnknownRequest",
		run:  exchange(req("bogus"), statusBad),
		warn: []string{`unrecognized request: "bogus", ignored`},
	},
	{
		// Malformed finds still carry the empty properties.
		name: "FindEndpWithoutLabel",
		run:  exchange(req("find_endp"), endpBad),
		warn: []string{missingLabel, badFindEndp},
	},
	{
		name: "FindDestWithoutLabel",
		run:  exchange(req("find_dest"), destBad),
		warn: []string{missingLabel, badFindDest},
	},
	{
		// A bad save_endp gets status 1 instead of the dummy.
		name: "SaveEndpTTLZero",
		run:  exchange(saveEndpReq("0", "x", "y"), statusBad),
		warn: []string{badSaveEndp},
	},
	{
		// "-5" passes stock's %u scan as a negative int, then ttl <= 0.
		name: "SaveEndpTTLNegative",
		run:  exchange(saveEndpReq("-5", "x", "y"), statusBad),
		warn: []string{badSaveEndp},
	},
	{
		name: "SaveDestTTLZero",
		run:  exchange(saveDestReq("0", "x", "y", "z"), statusBad),
		warn: []string{badSaveDest},
	},
	{
		name: "SaveDestWithoutEndpointLabel",
		run:  exchange(req("save_dest", "ttl", "5", "label", "x", "property", "y"), statusBad),
		warn: []string{missingLabel, badSaveDest},
	},
	{
		// Trailing junk in a number is rejected; the value was read
		// whole, so the stream stays in step and the client stays
		// connected (the sentinel must still be answered).
		name: "SaveEndpTTLNotANumber",
		run:  exchange(saveEndpReq("abc", "x", "y"), statusBad),
		warn: []string{"malformed numerical data from {svc} socket while reading input attribute value: abc", badSaveEndp},
	},
	{
		// The label was converted before the extra attribute, so the
		// request is served as a normal (missing) lookup.
		name: "FindEndpExtraAttribute",
		run:  exchange(req("find_endp", "label", "x", "extra", "1"), endpMiss),
		warn: []string{"unexpected attribute extra from {svc} socket (expecting: (list terminator))"},
		// Stock stops scanning after the name "extra" and, when it writes
		// the reply, drops the unread rest ("1\0\0") with its input
		// buffer (spec §1.6); ours drops the unread rest of a request
		// that was not read to its end too, so the logs match.
	},
	{
		// "label" before "request": the request scan stops at each
		// wrong name and rescans what is buffered (the value "x" is read
		// as a name) until it meets "request"; find_endp then has no
		// label left.
		name: "WrongAttributeOrder",
		run:  exchange([]byte("label\x00x\x00request\x00find_endp\x00\x00"), endpBad),
		warn: []string{
			"unexpected attribute label from {svc} socket (expecting: request)",
			"unexpected attribute x from {svc} socket (expecting: request)",
			missingLabel, badFindEndp,
		},
	},
	{
		// A plain byte where the descriptor should be: status 2, nothing
		// cached (the follow-up find misses).
		name: "SaveEndpPlainByteInsteadOfDescriptor",
		run: func(s *session) {
			c := s.dial()
			c.send(saveEndpReq("5", s.label("x"), "y"))
			c.expect(dummy)
			c.send([]byte{0})
			c.expect(statusFail)
			c.findEndpMiss(s.label("x"))
		},
		warn: []string{"scache_save_endp_service: unable to receive file descriptor: %m"},
		// Stock prints whatever errno is left over ("No such file or
		// directory" in the probe, "No such process" in this instance);
		// ours says what happened. The spec allows errno text to differ.
		oursWarn: []string{"scache_save_endp_service: unable to receive file descriptor: no file descriptor received"},
	},
}
