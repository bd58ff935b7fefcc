package config

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileSize is the largest file Load reads (a fleet of thousands of
// phones fits in a few MiB).
const MaxFileSize = 16 << 20

// Load reads and parses the file at path. Relative media paths (play,
// record_dir) are taken relative to the file's directory, and a play file
// must exist.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, MaxFileSize>>20)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return parse(path, data, dir)
}

// Parse parses a configuration held in memory; name is the file name the
// errors refer to. On failure the error is an ErrorList holding every
// problem found, each as "name:line: field path: message".
func Parse(name string, data []byte) (*File, error) {
	return parse(name, data, "")
}

func parse(name string, data []byte, baseDir string) (*File, error) {
	if name == "" {
		name = "<config>"
	}
	sink := &errorSink{file: name, lines: lineIndex{}}
	body, err := parseDocument(sink, data)
	if err != nil {
		return nil, err
	}
	f := &File{}
	if body != nil {
		newSchemaCheck(sink, body, len(data)).check("", 1, fileType, body)
		if err := sink.err(); err != nil {
			return nil, err
		}
		// The schema check has passed, so this decode should too; should it
		// not, goccy/go-yaml's own error still carries the line.
		// AllowDuplicateMapKey only lets keys written after "<<: *name"
		// override merged ones: the parser has already rejected real
		// duplicates.
		err := yaml.NodeToValue(body, f, yaml.DisallowUnknownField(), yaml.AllowDuplicateMapKey())
		if err != nil {
			return nil, decodeError(sink, err)
		}
	}
	validate(f, sink, baseDir)
	if err := sink.err(); err != nil {
		return nil, err
	}
	f.ApplyDefaults()
	return f, nil
}

// parseDocument returns the body of the file's only YAML document (nil if
// the file is empty).
func parseDocument(sink *errorSink, data []byte) (ast.Node, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, decodeError(sink, err)
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			line := 1
			if tk := doc.Body.GetToken(); tk != nil {
				line = tk.Position.Line
			}
			sink.at(line, "", "a configuration is one YAML document; this is a second one")
			return nil, sink.err()
		}
		body = doc.Body
	}
	return body, nil
}

// decodeError turns an error of goccy/go-yaml into "file:line: message".
func decodeError(sink *errorSink, err error) error {
	line, msg := 1, err.Error()
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		msg = yerr.GetMessage()
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line > 0 {
			line = tk.Position.Line
		}
	}
	sink.at(line, "", "%s", msg)
	return sink.err()
}

var fileType = reflect.TypeFor[File]()

//go:embed demo.yaml
var demoYAML []byte

// DemoYAML is the text of the built-in demo configuration (demo.yaml).
func DemoYAML() []byte { return slices.Clone(demoYAML) }

// Demo returns the built-in demo configuration, parsed from the embedded
// demo.yaml: the embedded registrar on 127.0.0.1:5060 with users 1001 and
// 1002, and phones alice (1001, SIP 5071, HTTP 8081) and bob (1002, SIP
// 5072, HTTP 8082) on 127.0.0.1. Each call returns a fresh copy.
func Demo() *File {
	f, err := Parse("demo.yaml", demoYAML)
	if err != nil {
		panic("config: the embedded demo.yaml is invalid: " + err.Error())
	}
	return f
}

// Marshal writes f as YAML that Parse reads back to the same File, but
// for Origin: the phones of fleet blocks come out listed under phones:.
func (f *File) Marshal() ([]byte, error) {
	return yaml.MarshalWithOptions(f, yaml.Indent(2), yaml.IndentSequence(true))
}

// sortedKeys returns the keys of m in order, so errors come out in a
// stable order.
func sortedKeys[M ~map[K]V, K cmp.Ordered, V any](m M) []K {
	return slices.Sorted(maps.Keys(m))
}
