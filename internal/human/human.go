// Package human writes sizes and counts for people, the same way in the
// console, the command line, alert summaries and incident suggestions.
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes writes a size of stored data in binary units, as ls -h and df -h
// do: "950 B", "3.1 KiB", "39.2 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Traffic writes a volume of network traffic in decimal units, as network
// tools (Zeek, RITA) do: "950 B", "3.1 MB", "412 MB".
func Traffic(b int64) string {
	n := float64(b)
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if n >= 100 || i == 0 {
		return strconv.Itoa(int(math.Round(n))) + " " + units[i] //nolint:gosec // G602: the loop keeps i below len(units)
	}
	return strings.TrimSuffix(strconv.FormatFloat(n, 'f', 1, 64), ".0") + " " + units[i]
}

// Compact writes a size in at most five cells for narrow table columns:
// "950", "12K", "3.1M", "1.5G".
func Compact(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fK", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10)
}

// Count writes a rate or a count briefly: "950", "12.3k", "1.2M".
func Count(f float64) string {
	switch {
	case f >= 1e6:
		return fmt.Sprintf("%.1fM", f/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.1fk", f/1e3)
	}
	return fmt.Sprintf("%.0f", f)
}
