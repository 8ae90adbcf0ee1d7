package statistical

import (
	"math"
	"slices"
)

// quantile returns the q-quantile (0 to 1) of sorted values, interpolating
// linearly between the two nearest ranks; 0 for none.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	switch n {
	case 0:
		return 0
	case 1:
		return sorted[0]
	}
	pos := q * float64(n-1)
	i := int(pos)
	if i >= n-1 {
		return sorted[n-1]
	}
	frac := pos - float64(i)
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

// spread describes how tightly values cluster: their median, their median
// absolute deviation (MAD) and Bowley's quartile skewness.
type spread struct {
	Median, MAD, Skew float64
}

// describe computes the spread of xs. It sorts xs and uses scratch (which
// may be nil) for the deviations; it never allocates when scratch is large
// enough.
func describe(xs []float64, scratch []float64) (spread, []float64) {
	if len(xs) == 0 {
		return spread{}, scratch
	}
	slices.Sort(xs)
	q1, q2, q3 := quantile(xs, 0.25), quantile(xs, 0.5), quantile(xs, 0.75)
	scratch = scratch[:0]
	for _, x := range xs {
		scratch = append(scratch, math.Abs(x-q2))
	}
	slices.Sort(scratch)
	s := spread{Median: q2, MAD: quantile(scratch, 0.5)}
	// Bowley's skewness (Q1+Q3-2·Q2)/(Q3-Q1) is 0 for a symmetric
	// distribution and ±1 when the median sits on a quartile. With an
	// interquartile range below 1 % of the median (or one unit) the
	// quartiles are all but equal and the ratio is noise: call it
	// symmetric, as a perfect beacon is.
	if iqr := q3 - q1; iqr > max(1, q2/100) && q2 != q1 && q2 != q3 {
		s.Skew = (q1 + q3 - 2*q2) / iqr
	}
	return s, scratch
}

// Dispersion is the MAD relative to the median (0 for identical values).
func (s spread) Dispersion() float64 {
	if s.Median <= 0 {
		if s.MAD == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return s.MAD / s.Median
}

// regularity scores how regular values are, 0 to 1, as RITA does: the
// mean of a symmetry score (1-|Bowley skewness|) and a dispersion score
// (1 - MAD/median, scaled so that a relative MAD of worst scores 0).
func (s spread) regularity(worst float64) float64 {
	sym := 1 - math.Abs(s.Skew)
	disp := 1 - s.Dispersion()/worst
	return (clamp01(sym) + clamp01(disp)) / 2
}

// rhythm scores how regular intervals are, 0 to 1: RITA's two measures,
// weighted for jitter. Bowley's skewness of a few dozen jittered intervals
// swings by ±0.3 from sampling alone, so up to 0.2 of it is forgiven and
// it weighs a third; the relative MAD weighs two thirds, and a MAD of 60 %
// of the period (random gaps: 69 % for a Poisson process) scores 0.
func (s spread) rhythm() float64 {
	sym := 1 - max(0, math.Abs(s.Skew)-0.2)/0.8
	disp := 1 - s.Dispersion()/0.6
	return (clamp01(sym) + 2*clamp01(disp)) / 3
}

// mod is the non-negative remainder of a by n: times before 1970 (a
// relative Zeek timestamp gone negative, a hostile line) index rings too.
func mod(a, n int64) int {
	return int(((a % n) + n) % n)
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(1, max(0, v))
}
