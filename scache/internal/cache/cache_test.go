package cache

import (
	"errors"
	"testing"
)

func TestScenarios(t *testing.T) {
	tests := []struct {
		name     string
		ttlLimit int
		steps    []step
	}{
		{"fifo: three saves come back in order, the fourth find misses", 2, []step{
			saveE(30, "L", "prop0", 10), saveE(30, "L", "prop1", 11), saveE(30, "L", "prop2", 12),
			sizes(0, 1, 3),
			findE("L", "prop0", 10), findE("L", "prop1", 11), findE("L", "prop2", 12),
			missE("L"), sizes(0, 0, 0), closed(),
		}},
		{"endpoints are independent", 2, []step{
			saveE(2, "A", "a", 1), saveE(2, "B", "b", 2), sizes(0, 2, 2),
			missE("C"), findE("B", "b", 2), findE("A", "a", 1), missE("A"),
		}},
		{"empty labels are ordinary keys", 2, []step{
			saveE(2, "", "", 3), saveD(2, "", "", ""), findD("", "", "", 3),
		}},
		// The stock probe's sequence (§1.7): bindings first, a find while no
		// endpoint has sessions, then one session per endpoint.
		{"bindings: refresh keeps position, find_dest walks oldest first", 2, []step{
			missD("D1"),
			saveD(30, "D1", "dp1", "E1"), saveD(30, "D1", "dp2", "E2"),
			saveD(30, "D1", "dp1", "E1"), saveD(30, "D1", "dp1b", "E1"),
			sizes(1, 0, 0), missD("D1"),
			saveE(30, "E1", "ep1", 21), saveE(30, "E2", "ep2", 22),
			findD("D1", "dp1", "ep1", 21), findD("D1", "dp2", "ep2", 22), missD("D1"),
			// Finds leave the bindings in place.
			sizes(1, 0, 0), saveE(30, "E2", "ep2", 23), findD("D1", "dp2", "ep2", 23),
		}},
		{"bindings whose endpoint has no session are skipped", 2, []step{
			saveD(2, "D", "dp1", "E1"), saveD(2, "D", "dp2", "E2"), saveD(2, "D", "dp3", "E3"),
			saveE(2, "E3", "ep3", 33), saveE(2, "E2", "ep2", 32),
			findD("D", "dp2", "ep2", 32), findD("D", "dp3", "ep3", 33), missD("D"),
		}},
		{"find_dest takes the endpoint's oldest session", 2, []step{
			saveE(2, "E", "old", 1), saveE(2, "E", "new", 2), saveD(2, "D", "dp", "E"),
			findD("D", "dp", "old", 1), findE("E", "new", 2),
		}},
		{"same endpoint with another property, or same property elsewhere, is a new binding", 2, []step{
			saveD(2, "D", "p", "E1"), saveD(2, "D", "q", "E1"), saveD(2, "D", "p", "E2"),
			saveE(2, "E2", "e2", 2), saveE(2, "E1", "e1", 1), saveE(2, "E1", "e1", 3),
			findD("D", "p", "e1", 1), findD("D", "p", "e1", 3), findD("D", "p", "e2", 2), missD("D"),
		}},
		{"ttl is capped by the limit", 2, []step{
			at(0.5), saveE(100, "L", "p", 7), saveD(100, "D", "dp", "L"), deadline(2, true),
			at(1.999), expire(), sizes(1, 1, 1), closed(),
			at(2), expire(), closed(7), sizes(0, 0, 0), deadline(0, false),
		}},
		{"a zero limit means the stock default of 2s", 0, []step{
			saveE(100, "L", "p", 7), deadline(2, true),
		}},
		{"ttl below the limit is kept", 10, []step{
			saveE(3, "L", "p", 7), deadline(3, true),
			at(2.999), expire(), closed(), at(3), expire(), closed(7),
		}},
		{"expiry counts whole seconds: saved late in a second, gone at the next", 2, []step{
			at(0.9), saveE(1, "L", "late", 1), at(0.0), saveE(1, "L", "early", 2),
			at(0.999), expire(), closed(),
			at(1.0), expire(), closed(1, 2), missE("L"),
		}},
		{"due entries vanish even without an Expire call", 2, []step{
			saveE(1, "L", "p", 5), saveD(1, "D", "dp", "L"),
			at(1), missE("L"), closed(5), sizes(0, 0, 0),
		}},
		{"equal deadlines close in save order; mixed ttls by deadline", 5, []step{
			saveE(3, "A", "", 1), saveE(2, "A", "", 2), saveE(3, "B", "", 3), saveE(2, "B", "", 4),
			deadline(2, true), at(2), expire(), closed(2, 4), sizes(0, 2, 2),
			findE("A", "", 1), deadline(3, true), at(3), expire(), closed(3),
		}},
		{"an expired middle session leaves the FIFO intact", 5, []step{
			saveE(5, "L", "p1", 1), saveE(1, "L", "p2", 2), saveE(5, "L", "p3", 3),
			at(1), expire(), closed(2), findE("L", "p1", 1), findE("L", "p3", 3), missE("L"),
		}},
		{"a found session's timer is gone with it", 2, []step{
			saveE(1, "L", "p", 9), findE("L", "p", 9), deadline(0, false),
			at(5), expire(), closed(),
		}},
		{"refresh restarts the binding's expiry", 2, []step{
			saveD(2, "D", "dp", "E"), at(1.5), saveD(2, "D", "dp", "E"), deadline(3, true),
			at(2.5), saveE(2, "E", "ep", 1), findD("D", "dp", "ep", 1),
			at(3), expire(), sizes(0, 0, 0), saveE(2, "E", "ep", 2), missD("D"),
		}},
		{"refresh with a shorter ttl moves expiry earlier", 5, []step{
			saveD(5, "D", "dp", "E"), at(0.5), saveD(1, "D", "dp", "E"), deadline(1, true),
			at(1), expire(), sizes(0, 0, 0),
		}},
		{"refresh keeps position among bindings", 5, []step{
			saveD(1, "D", "dp1", "E1"), saveD(5, "D", "dp2", "E2"), saveD(5, "D", "dp1", "E1"),
			saveE(5, "E2", "e2", 2), saveE(5, "E1", "e1", 1),
			at(1), findD("D", "dp1", "e1", 1), findD("D", "dp2", "e2", 2),
		}},
		{"expired binding is forgotten, its endpoint's sessions are not", 5, []step{
			saveD(1, "D", "dp", "E"), saveE(5, "E", "ep", 1),
			at(1), missD("D"), sizes(0, 1, 1), findE("E", "ep", 1),
		}},
		{"DropAll closes everything and forgets bindings", 2, []step{
			saveE(2, "A", "", 1), saveE(2, "A", "", 2), saveE(2, "B", "", 3), saveD(2, "D", "", "A"),
			func(h *harness) { h.c.DropAll() },
			func(h *harness) {
				if got := h.log.take(); len(got) != 3 {
					h.t.Fatalf("DropAll closed %v; want 3 fds", got)
				}
			},
			sizes(0, 0, 0), deadline(0, false), missD("D"), at(10), expire(), closed(),
			saveE(2, "A", "", 4), findE("A", "", 4),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.ttlLimit)
			for _, s := range tc.steps {
				s(h)
			}
		})
	}
}

func TestSaveErrorsLeaveOwnershipWithCaller(t *testing.T) {
	h := newHarness(t, 2)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"save_endp ttl 0", h.c.SaveEndp(0, "L", "p", 1), ErrBadTTL},
		{"save_endp ttl -5", h.c.SaveEndp(-5, "L", "p", 1), ErrBadTTL},
		{"save_endp fd -1", h.c.SaveEndp(2, "L", "p", -1), ErrBadFD},
		{"save_dest ttl 0", h.c.SaveDest(0, "D", "p", "L"), ErrBadTTL},
	}
	for _, tc := range cases {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err %v; want %v", tc.name, tc.err, tc.want)
		}
	}
	if got := h.c.Sizes(); got != (Sizes{}) {
		t.Errorf("rejected saves changed sizes: %+v", got)
	}
	// Rejected saves are not successful saves: no maxima, no lines.
	if got := h.c.StatsLines(base); got != nil {
		t.Errorf("rejected saves produced statistics %q", got)
	}

	h.c.SaveEndp(2, "L", "p", 1)
	h.c.Close()
	if got := h.log.take(); len(got) != 1 || got[0] != 1 {
		t.Errorf("Close closed %v; want [1]", got)
	}
	if err := h.c.SaveEndp(2, "L", "p", 2); !errors.Is(err, ErrClosed) {
		t.Errorf("SaveEndp after Close: %v; want ErrClosed", err)
	}
	if err := h.c.SaveDest(2, "D", "p", "L"); !errors.Is(err, ErrClosed) {
		t.Errorf("SaveDest after Close: %v; want ErrClosed", err)
	}
}
