package cache

// bindingKey is what makes a save_dest a refresh rather than a new binding:
// the same endpoint label and the same destination property.
type bindingKey struct{ endpLabel, destProp string }

// binding is one destination → endpoint association. It holds the endpoint
// label, not a pointer: endpoints come and go with their sessions while the
// binding lives on.
type binding struct {
	key  bindingKey
	dest *destination
	el   *node[*binding]
	tm   timer
}

// destination is the ordered binding list under one label; like endpoint it
// exists only while non-empty, so len(Cache.dests) is stock's dest_count.
type destination struct {
	label    string
	bindings fifo[*binding]
	// byKey finds the binding a save_dest refreshes without walking the
	// list; stock walks it, which is fine for its handful of MX hosts but
	// not for a cache holding thousands of bindings under one label.
	byKey map[bindingKey]*binding
}

// SaveDest binds destination label destLabel to endpoint label endpLabel
// with property destProp for min(ttl, TTLLimit) seconds. Saving an existing
// (endpLabel, destProp) pair again only restarts its expiry with the new
// ttl, even when that is shorter, and keeps its place in the list.
func (c *Cache) SaveDest(ttl int, destLabel, destProp, endpLabel string) error {
	if ttl <= 0 {
		return ErrBadTTL
	}
	var err error
	c.locked(func(now int64) {
		if c.closed {
			err = ErrClosed
			return
		}
		d := c.dests[destLabel]
		if d == nil {
			d = &destination{label: destLabel, byKey: make(map[bindingKey]*binding)}
			c.dests[destLabel] = d
		}
		key := bindingKey{endpLabel: endpLabel, destProp: destProp}
		b := d.byKey[key]
		if b == nil {
			b = &binding{key: key, dest: d}
			b.el = d.bindings.pushBack(b)
			b.tm = timer{idx: -1, bind: b}
			d.byKey[key] = b
		}
		c.arm(&b.tm, c.deadline(now, ttl))
		c.st.afterSaveDest(len(c.dests), len(c.endps))
	})
	return err
}

// FindDest walks destLabel's bindings oldest first and takes the oldest
// session of the first bound endpoint that has one, returning the binding's
// destination property, the session's endpoint property and its descriptor
// (now owned by the caller). Bindings stay; only expiry removes them. It
// counts a domain-lookup hit or miss, never an address lookup.
func (c *Cache) FindDest(destLabel string) (destProp, endpProp string, fd int, ok bool) {
	fd = -1
	c.locked(func(int64) {
		if d := c.dests[destLabel]; d != nil {
			for e := d.bindings.head; e != nil; e = e.next {
				if endpProp, fd, ok = c.takeSession(e.val.key.endpLabel); ok {
					destProp = e.val.key.destProp
					break
				}
			}
		}
		if ok {
			c.st.destHits++
		} else {
			c.st.destMiss++
		}
	})
	return destProp, endpProp, fd, ok
}

func (c *Cache) unlinkBinding(b *binding) {
	d := b.dest
	d.bindings.remove(b.el)
	delete(d.byKey, b.key)
	if d.bindings.n == 0 {
		delete(c.dests, d.label)
	}
}
