package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldError is one problem in a configuration.
type FieldError struct {
	File string // the name given to Parse or Load; "" from File.Validate
	Line int    // 1-based; 0 when unknown (File.Validate)
	Path string // "phones[0].sip_port"; "" when the error is not about a field
	Msg  string
}

// Error is "file:line: path: message", leaving out the parts that are
// unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
		if e.Line > 0 {
			b.WriteString(strconv.Itoa(e.Line))
			b.WriteByte(':')
		}
		b.WriteByte(' ')
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found, sorted by line, one per line of
// Error(). errors.As(err, &fe) with fe *FieldError finds the first.
type ErrorList []*FieldError

// MaxErrors is how many errors an ErrorList reports before it summarises
// the rest (a fleet of 10 000 phones with one mistake each should not print
// 10 000 lines).
const MaxErrors = 50

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As and errors.Is see each FieldError.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// errorSink collects errors for one file.
type errorSink struct {
	file  string
	lines lineIndex // path -> line, filled by the schema check
	list  ErrorList
}

// at records an error at an explicit line.
func (s *errorSink) at(line int, path, format string, args ...any) {
	// One error, one line of output.
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	s.list = append(s.list, &FieldError{File: s.file, Line: line, Path: path, Msg: msg})
}

// field records an error about path, at the line where the file sets it
// (or, if it does not, where the nearest enclosing field is).
func (s *errorSink) field(path, format string, args ...any) {
	s.at(s.lines.lineOf(fleetPath(path)), path, format, args...)
}

// err returns the collected errors sorted by line (stable: the order of
// checks is kept within a line), capped at MaxErrors; nil if none.
func (s *errorSink) err() error {
	if len(s.list) == 0 {
		return nil
	}
	list := slices.Clone(s.list)
	slices.SortStableFunc(list, func(a, b *FieldError) int { return a.Line - b.Line })
	if len(list) > MaxErrors {
		rest := list[MaxErrors]
		more := &FieldError{File: rest.File, Line: rest.Line,
			Msg: fmt.Sprintf("... and %d more errors", len(list)-MaxErrors)}
		list = append(list[:MaxErrors:MaxErrors], more)
	}
	return list
}

// lineIndex maps a field path ("phones[0].lines[1].user") to the line of
// the key (or list item) that sets it.
type lineIndex map[string]int

// lineOf is the line of path or of its nearest ancestor in the file; the
// document starts at line 1. It is 0 when there is no file (File.Validate).
func (ix lineIndex) lineOf(path string) int {
	if ix == nil {
		return 0
	}
	for {
		if l, ok := ix[path]; ok {
			return l
		}
		if path == "" {
			return 1
		}
		path = parentPath(path)
	}
}

// parentPath strips the last ".key", "[i]" or `["key"]` from path.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		// `["a]b"]` holds a ']' inside quotes: find the opening '[' of the
		// last component by scanning from the left.
		open, inQuote := -1, false
		for i := 0; i < len(path); i++ {
			switch c := path[i]; {
			case inQuote && c == '\\':
				i++
			case c == '"':
				inQuote = !inQuote
			case !inQuote && c == '[':
				open = i
			}
		}
		if open >= 0 {
			return path[:open]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// childPath is path + ".key", or path + `["key"]` when key is not a plain
// name.
func childPath(path, key string) string {
	if isPlainKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
