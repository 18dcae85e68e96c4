package cache

// session is one cached connection. It points back at its endpoint so that
// expiry, which only knows the timer, can unlink it and drop the endpoint
// once it is empty.
type session struct {
	fd   int
	prop string
	endp *endpoint
	el   *node[*session]
	tm   timer
}

// endpoint is the FIFO of sessions under one label; it exists only while
// it holds a session, so len(Cache.endps) is stock's endp_count.
type endpoint struct {
	label    string
	sessions fifo[*session]
}

// SaveEndp appends session fd with property prop at the tail of label's
// list, to expire after min(ttl, TTLLimit) seconds. On success the cache
// owns fd; on error the caller still does.
func (c *Cache) SaveEndp(ttl int, label, prop string, fd int) error {
	if ttl <= 0 {
		return ErrBadTTL
	}
	if fd < 0 {
		return ErrBadFD
	}
	var err error
	c.locked(func(now int64) {
		if c.closed {
			err = ErrClosed
			return
		}
		ep := c.endps[label]
		if ep == nil {
			ep = &endpoint{label: label}
			c.endps[label] = ep
		}
		s := &session{fd: fd, prop: prop, endp: ep}
		s.el = ep.sessions.pushBack(s)
		s.tm = timer{idx: -1, sess: s}
		c.sessCount++
		c.arm(&s.tm, c.deadline(now, ttl))
		c.st.afterSaveEndp(len(c.endps), c.sessCount)
	})
	return err
}

// FindEndp removes the oldest session cached under label and returns its
// property and descriptor, which the caller now owns (and must close after
// handing it over). It counts an address-lookup hit or miss.
func (c *Cache) FindEndp(label string) (prop string, fd int, ok bool) {
	fd = -1
	c.locked(func(int64) {
		prop, fd, ok = c.takeSession(label)
		if ok {
			c.st.endpHits++
		} else {
			c.st.endpMiss++
		}
	})
	return prop, fd, ok
}

// takeSession is the uncounted lookup shared by both finds.
func (c *Cache) takeSession(label string) (string, int, bool) {
	ep := c.endps[label]
	if ep == nil {
		return "", -1, false
	}
	s := ep.sessions.head.val
	c.disarm(&s.tm)
	c.unlinkSession(s)
	return s.prop, s.fd, true
}

// unlinkSession detaches s; an endpoint without sessions is deleted at once
// so that the endpoint count only covers labels that have sessions.
func (c *Cache) unlinkSession(s *session) {
	ep := s.endp
	ep.sessions.remove(s.el)
	c.sessCount--
	if ep.sessions.n == 0 {
		delete(c.endps, ep.label)
	}
}
