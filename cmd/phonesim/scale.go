package main

import (
	"fmt"
	"io"

	"github.com/phonesim/phonesim/fleet"
)

// maxBanner is how many phones the banner lists one by one; a larger
// fleet gets one summary line.
const maxBanner = 20

// printFleetBanner is the banner of a fleet of more than maxBanner
// phones: the range, and the first phone's URLs as an example.
func printFleetBanner(w io.Writer, fl *fleet.Fleet) {
	first, last := fl.Phones[0], fl.Phones[len(fl.Phones)-1]
	fmt.Fprintf(w, "%d phones, %s (sip:%s) to %s (sip:%s)\n", len(fl.Phones),
		first.Config.Name, first.UA.Addr(), last.Config.Name, last.UA.Addr())
	fmt.Fprintf(w, "  active uri of %s  %s?key=OK\n", first.Config.Name, first.ActiveURI())
	fmt.Fprintf(w, "  status of %s      %s\n", first.Config.Name, first.StatusURL())
}
