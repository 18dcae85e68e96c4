package cache

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse hammers one cache from many goroutines (run it with
// -race) while another advances the clock, expires and dumps statistics.
// Every fake descriptor must end up found or closed, exactly once.
func TestConcurrentUse(t *testing.T) {
	const workers, opsPerWorker = 8, 2000
	var (
		mu      sync.Mutex
		fate    = make(map[int]string) // fd → "closed" or "found"
		nextFD  atomic.Int64
		savedFD atomic.Int64
	)
	settle := func(fd int, how string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := fate[fd]; dup {
			t.Errorf("fd %d %s after already %s", fd, how, prev)
		}
		fate[fd] = how
	}
	clock := &fakeClock{now: base}
	c := New(Config{TTLLimit: 2, Now: clock.Now, CloseFD: func(fd int) error {
		settle(fd, "closed")
		return nil
	}})

	done := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Add(1)
	go func() {
		defer ticker.Done()
		for tick := 0; ; tick++ {
			select {
			case <-done:
				return
			default:
			}
			clock.set(float64(tick) * 0.01)
			c.Expire(clock.Now())
			c.NextDeadline()
			c.Sizes()
			if tick%50 == 0 {
				c.StatsLines(clock.Now())
			}
		}
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range opsPerWorker {
				label := fmt.Sprintf("E%d", (w+i)%4)
				switch i % 4 {
				case 0, 1:
					fd := int(nextFD.Add(1))
					if err := c.SaveEndp(2, label, "p", fd); err != nil {
						t.Errorf("SaveEndp: %v", err)
					}
					savedFD.Add(1)
				case 2:
					c.SaveDest(1, "D", label, label)
					if _, fd, ok := c.FindEndp(label); ok {
						settle(fd, "found")
					}
				case 3:
					if _, _, fd, ok := c.FindDest("D"); ok {
						settle(fd, "found")
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	ticker.Wait()
	c.Close()

	if got, want := len(fate), int(savedFD.Load()); got != want {
		t.Errorf("%d descriptors settled; %d saved", got, want)
	}
	if s := c.Sizes(); s != (Sizes{}) {
		t.Errorf("sizes after Close: %+v", s)
	}
}

func BenchmarkSaveFindEndp(b *testing.B) {
	for _, cached := range []int{0, 10000} {
		b.Run(fmt.Sprintf("cached=%d", cached), func(b *testing.B) {
			// A fixed clock keeps the background entries from expiring
			// while the benchmark runs.
			c := New(Config{Now: func() time.Time { return base }, CloseFD: func(int) error { return nil }})
			for i := range cached {
				c.SaveEndp(2, fmt.Sprintf("bg%d", i%1000), "p", i)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := c.SaveEndp(2, "smtp:192.0.2.1:25", "p", i); err != nil {
					b.Fatal(err)
				}
				if _, _, ok := c.FindEndp("smtp:192.0.2.1:25"); !ok {
					b.Fatal("miss")
				}
			}
		})
	}
}
