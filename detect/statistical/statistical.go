package statistical

import "github.com/mamori-soc/mamori/detect"

// Factories returns the statistical rules, for detect.Options.
func Factories() []detect.Factory {
	return []detect.Factory{
		{Rule: "S-BEACON", New: NewBeacon},
		{Rule: "S-ERRORS", New: NewErrors},
		{Rule: "S-FANOUT", New: NewFanout},
		{Rule: "S-SINKHOLE", New: NewSinkhole},
		{Rule: "S-REFUSED", New: NewRefused},
		{Rule: "S-CONN-VOLUME", New: NewConnVolume},
		{Rule: "S-BYTES-OUT", New: NewBytesOut},
	}
}
