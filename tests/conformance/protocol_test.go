package conformance

// Stock replies, byte for byte, as the probe of the stock 3.7.11 server
// recorded them (testdata/scache-probe-edgecases.txt, strace part).
// They are literals on purpose: the point is to pin the wire bytes
// independently of our attribute encoder.
const (
	announcement = "protocol\x00connection_cache_protocol\x00\x00"
	dummy        = "dummy\x00\x00\x00"
	statusOK     = "status\x000\x00\x00"
	statusBad    = "status\x001\x00\x00"
	statusFail   = "status\x002\x00\x00"
	endpMiss     = "status\x002\x00property\x00\x00\x00"
	endpBad      = "status\x001\x00property\x00\x00\x00"
	destMiss     = "status\x002\x00property\x00\x00property\x00\x00\x00"
	destBad      = "status\x001\x00property\x00\x00property\x00\x00\x00"
)

func endpHit(prop string) string { return "status\x000\x00property\x00" + prop + "\x00\x00" }

func destHit(destProp, endpProp string) string {
	return "status\x000\x00property\x00" + destProp + "\x00property\x00" + endpProp + "\x00\x00"
}

func findEndpReq(label string) []byte { return req("find_endp", "label", label) }
func findDestReq(label string) []byte { return req("find_dest", "label", label) }

func saveEndpReq(ttl, label, prop string) []byte {
	return req("save_endp", "ttl", ttl, "label", label, "property", prop)
}

func saveDestReq(ttl, destLabel, destProp, endpLabel string) []byte {
	return req("save_dest", "ttl", ttl, "label", destLabel, "property", destProp, "label", endpLabel)
}

// saveEndp caches fd under label, the stock client's way: request, the
// server's dummy, the descriptor, status 0.
func (c *conn) saveEndp(ttl, label, prop string, fd int) {
	c.send(saveEndpReq(ttl, label, prop))
	if string(c.expect(dummy)) != dummy {
		c.s.fatalf("%s: save_endp: no dummy before the descriptor", c.name)
	}
	c.sendFD(fd)
	c.expect(statusOK)
}

func (c *conn) saveDest(ttl, destLabel, destProp, endpLabel string) {
	c.send(saveDestReq(ttl, destLabel, destProp, endpLabel))
	c.expect(statusOK)
}

func (c *conn) findEndpMiss(label string) {
	c.send(findEndpReq(label))
	c.expect(endpMiss)
}

func (c *conn) findDestMiss(label string) {
	c.send(findDestReq(label))
	c.expect(destMiss)
}

// findEndpHit expects a hit with prop and returns the descriptor.
func (c *conn) findEndpHit(label, prop string) int {
	c.send(findEndpReq(label))
	c.hit(endpHit(prop))
	return c.takeFD(nil)
}

// findDestHit expects a hit with both properties and returns the
// descriptor.
func (c *conn) findDestHit(label, destProp, endpProp string) int {
	c.send(findDestReq(label))
	c.hit(destHit(destProp, endpProp))
	return c.takeFD(nil)
}

// hit reads a find reply that must announce a descriptor; anything else
// ends the scenario, since the descriptor exchange would then hang.
func (c *conn) hit(want string) {
	if got := c.expect(want); len(got) < 9 || string(got[:9]) != "status\x000\x00" {
		c.s.fatalf("%s: expected a hit, got %q", c.name, got)
	}
}

// takeFD runs the client half of a find hit: dummy, receive the
// descriptor, dummy again. next is written in the same write as the
// second dummy, which is how stock clients usually make it arrive.
func (c *conn) takeFD(next []byte) int {
	c.send([]byte(dummy))
	fd := c.recvFD()
	c.send(glue([]byte(dummy), next))
	return fd
}
