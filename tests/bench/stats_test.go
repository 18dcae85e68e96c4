package bench

import (
	"slices"
	"time"
)

// quantile returns the q-quantile (0..1) of ds by nearest rank; ds is
// sorted in place. Zero for an empty slice.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q * float64(len(ds)-1))
	return ds[i]
}

// micros converts for display and for benchstat metrics.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// ratio is a/b, or 0 when b is zero (nothing measured): a missing
// figure must not print as +Inf and look like a result.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
