package webui_test

import "github.com/phonesim/phonesim/config"

// demo is the built-in demo: alice 1001, bob 1002, the embedded registrar.
func demo() *config.File { return config.Demo() }
