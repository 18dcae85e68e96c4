// Command scache is a drop-in replacement for Postfix's scache(8), the
// shared connection cache: smtp(8) and lmtp(8) processes hand it idle
// sessions (as open descriptors) and take them back for the next delivery
// to the same destination or address.
//
// master(8) starts it from master.cf ("scache unix - - y - 1 scache").
package main

import (
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/scache/internal/cache"
)

func main() {
	// The live heap of a connection cache is tiny (labels and properties
	// of a few thousand sessions at most), so a lower GC target costs
	// little CPU and keeps the process close to the stock daemon's size:
	// Go's default lets the heap grow to 4 MiB before the first cycle.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(25)
	}
	d := &daemon{}
	server.Run(server.Program{
		Model:      server.Multi,
		Solitary:   true,
		LoadParams: d.loadParams,
		PostInit:   d.postInit,
		Exit:       d.exit,
	})
}

// daemon holds scache's state for the life of the process.
type daemon struct {
	ttlLimit     time.Duration // connection_cache_ttl_limit
	statusUpdate time.Duration // connection_cache_status_update_time
	store        *cache.Cache
	rt           *server.Runtime
	requests     atomic.Uint64 // requests served, for the memory trim
}

func (d *daemon) loadParams(rt *server.Runtime) error {
	var err error
	if d.ttlLimit, err = rt.Config.Time("connection_cache_ttl_limit", config.WithMin(1)); err != nil {
		return err
	}
	d.statusUpdate, err = rt.Config.Time("connection_cache_status_update_time", config.WithMin(1))
	return err
}

func (d *daemon) postInit(rt *server.Runtime) (any, error) {
	d.rt = rt
	// scache never retires by use count: it would drop every cached
	// connection (stock forces max_use to 0 as well). It still leaves
	// after max_idle with no client connected.
	rt.Limits.MaxUse = 0
	d.store = cache.New(cache.Config{
		TTLLimit: int(d.ttlLimit / time.Second),
		OnCloseError: func(fd int, err error) {
			rt.Log.Warnf("scache_multi_drop_endp: close(%d): %v", fd, err)
		},
	})
	go d.expireLoop()
	go d.statusLoop()
	return &service{daemon: d}, nil
}

// expireLoop closes cached sessions when their time is up. Deadlines are
// whole seconds, as in stock, so a once-a-second sweep is exact enough
// (an entry goes at most a second after its deadline; stock's busy loop
// can close one up to a second early), and unlike a timer re-armed on
// every save it costs nothing per request. The cache also expires due
// entries itself before every lookup, so a find never returns one.
func (d *daemon) expireLoop() {
	var trimmed uint64
	for now := range time.Tick(time.Second) {
		d.store.Expire(now)
		if n := d.requests.Load(); n != trimmed {
			// Hand the pages that the last second's requests left
			// behind back to the system. Go's background scavenger
			// keeps a heap's worth of them for a long time; a cache
			// whose live heap is a few hundred KiB can afford one
			// forced cycle per busy second (well under a millisecond)
			// to stay close to the size of the C daemon it replaces.
			trimmed = n
			debug.FreeOSMemory()
		}
	}
}

// statusLoop logs the statistics every connection_cache_status_update_time.
func (d *daemon) statusLoop() {
	for range time.Tick(d.statusUpdate) {
		d.logStats()
	}
}

func (d *daemon) logStats() {
	for _, line := range d.store.StatsLines(time.Now()) {
		d.rt.Log.Info(line)
	}
}

// exit logs the unfinished interval's statistics when scache leaves on
// its own (idle, or master gone on reload), as stock does.
func (d *daemon) exit(rt *server.Runtime, why server.Reason) {
	if d.store != nil {
		d.logStats()
	}
}
