package run

import (
	"runtime/debug"
	"sync"
)

// setupHeapLimit is the heap a sandbox's setup may grow to before the
// collector runs during it.
const setupHeapLimit = 256 << 20

// quietGC holds garbage collection off while a sandbox is set up and
// returns the function that turns it back on, which is safe to call more
// than once. Setting up allocates a few megabytes, nearly all of it live
// until the command starts; a collection meanwhile only takes a CPU from
// bubblewrap and the checks (a cached deny-glob scan of 10,000
// directories triggered one that cost the start about 4 ms). Past
// setupHeapLimit the collector runs anyway, so a walk of a huge tree
// stays bounded.
func quietGC() (restore func()) {
	pct := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(limit, setupHeapLimit))
	var once sync.Once
	return func() {
		once.Do(func() {
			debug.SetMemoryLimit(limit)
			debug.SetGCPercent(pct)
		})
	}
}
