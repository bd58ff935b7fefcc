package activeuri

import "github.com/phonesim/phonesim/emulator"

func goldenLCD() emulator.LCD {
	return emulator.LCD{Title: "Talking", Lines: []string{"Bob", "1003@127.0.0.1", "2 calls"},
		SoftKeys: [4]string{"Hold", "Transfer", "", "End"},
		LEDs: map[string]string{"L1": "off", "L2": "blink", "D1": "blink", "D3": "on",
			"MSG": "blink", "DND": "on", "HEADSET": "on"}}
}
