package run

import (
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func gcSettings(t *testing.T) (percent, limit int64) {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		t.Fatal("this Go does not report the collector's settings")
	}
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}

func TestQuietGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 40))
	restore := quietGC()
	if p, l := gcSettings(t); p != -1 || l != setupHeapLimit {
		// GOGC=off reads as -1.
		t.Errorf("during setup: GOGC %d, memory limit %d; want off and %d", p, l, setupHeapLimit)
	}
	restore()
	if p, l := gcSettings(t); p != 150 || l != 1<<40 {
		t.Errorf("after restore: GOGC %d, memory limit %d; want 150 and %d", p, l, int64(1<<40))
	}
	// A second call, as the deferred one in runSandboxed makes, changes
	// nothing set since.
	debug.SetGCPercent(120)
	restore()
	if p, _ := gcSettings(t); p != 120 {
		t.Errorf("a second restore set GOGC to %d", p)
	}

	// A lower limit than the setup's own is kept.
	debug.SetMemoryLimit(64 << 20)
	restore = quietGC()
	if _, l := gcSettings(t); l != 64<<20 {
		t.Errorf("during setup the memory limit rose to %d from %d", l, 64<<20)
	}
	restore()
}
