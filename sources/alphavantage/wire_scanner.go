package alphavantage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads a body through a fixed, pooled buffer: JSON tokens for
// DecodeJSON, lines for DecodeCSV. The byte slices it returns alias the
// buffer and are valid until the next call.
type scanner struct {
	r       io.Reader
	buf     []byte
	pos     int   // next unread byte in buf
	end     int   // end of the valid bytes in buf
	base    int64 // offset in the stream of buf[0]
	rerr    error // the reader's error, io.EOF at the end
	scratch []byte
}

var scannerPool = sync.Pool{New: func() any { return &scanner{buf: make([]byte, 64<<10)} }}

// newScanner returns a scanner of r; release it when done.
func newScanner(r io.Reader) *scanner {
	s := scannerPool.Get().(*scanner)
	s.r = r
	return s
}

func (s *scanner) release() {
	if cap(s.scratch) > MaxWireToken*2 {
		s.scratch = nil
	}
	*s = scanner{buf: s.buf, scratch: s.scratch[:0]}
	scannerPool.Put(s)
}

// offset returns the stream offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.offset(), fmt.Sprintf(format, args...))
}

// fill moves the unread bytes to the front of buf and reads more after
// them. It returns false at the end of the stream or on a read error.
func (s *scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos = 0
	}
	for range 100 { // a reader returning 0, nil forever is broken
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// eofError reports why no byte came when one was needed.
func (s *scanner) eofError() error {
	if s.rerr == io.EOF {
		return fmt.Errorf("offset %d: unexpected end of body (truncated?): %w", s.offset(), io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("offset %d: read: %w", s.offset(), s.rerr)
}

// skipSpace skips JSON whitespace and returns the next byte without
// consuming it. The service indents with runs of spaces, which it skips
// eight at a time.
func (s *scanner) skipSpace() (byte, error) {
	const spaces8 = 0x2020202020202020
	for {
		buf, i := s.buf[:s.end], s.pos
		for i < len(buf) {
			c := buf[i]
			if c > ' ' || c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				s.pos = i
				return c, nil
			}
			i++
			for i+8 <= len(buf) && binary.LittleEndian.Uint64(buf[i:]) == spaces8 {
				i += 8
			}
		}
		s.pos = i
		if !s.fill() {
			return 0, s.eofError()
		}
	}
}

// expect consumes c after optional whitespace.
func (s *scanner) expect(c byte) error {
	got, err := s.skipSpace()
	if err != nil {
		return err
	}
	if got != c {
		return s.errorf("want %q, got %s", c, describe(got))
	}
	s.pos++
	return nil
}

// expectEOF checks that only whitespace follows.
func (s *scanner) expectEOF() error {
	got, err := s.skipSpace()
	if err == nil {
		return s.errorf("unexpected %s after the JSON object", describe(got))
	}
	if s.rerr != io.EOF {
		return err
	}
	return nil
}

// sniff names what the body is when its next bytes, where JSON or CSV
// should start, are of a kind users meet in their place: "an HTML page"
// (a proxy's error page, a captive portal, a login page), "an XML
// document" or "a gzip-compressed body" (a server that compressed what
// was not asked compressed). It returns "" for anything else.
func (s *scanner) sniff() string {
	for s.end-s.pos < 16 && s.fill() {
	}
	head := s.buf[s.pos:s.end]
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "a gzip-compressed body"
	case bytes.HasPrefix(head, []byte("<?xml")):
		return "an XML document"
	case bytes.HasPrefix(head, []byte("<")):
		return "an HTML page"
	}
	return ""
}

func describe(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '{':
		return "an object"
	case '"':
		return "a string"
	}
	return fmt.Sprintf("%q", c)
}

// nextKey reads the next member key of an object whose '{' is consumed,
// and the ':' after it. first is true for the first member. done is true
// when the object ended instead.
func (s *scanner) nextKey(first bool) (key []byte, done bool, err error) {
	c, err := s.skipSpace()
	if err != nil {
		return nil, false, err
	}
	if c == '}' {
		s.pos++
		return nil, true, nil
	}
	if !first {
		if c != ',' {
			return nil, false, s.errorf("want ',' or '}', got %s", describe(c))
		}
		s.pos++
		if c, err = s.skipSpace(); err != nil {
			return nil, false, err
		}
	}
	if c != '"' {
		return nil, false, s.errorf("want a key, got %s", describe(c))
	}
	if key, err = s.readString(); err != nil {
		return nil, false, err
	}
	// The key aliases buf; the ':' is almost always the very next byte,
	// and when it is not, the key is copied before buf may move.
	if s.pos < s.end && s.buf[s.pos] == ':' {
		s.pos++
		return key, false, nil
	}
	s.scratch = append(s.scratch[:0], key...)
	if err := s.expect(':'); err != nil {
		return nil, false, err
	}
	return s.scratch, false, nil
}

// readString reads the string starting at the '"' under pos and returns
// its unescaped content.
func (s *scanner) readString() ([]byte, error) {
	i := s.pos + 1
	for {
		for buf := s.buf[:s.end]; i < len(buf); {
			c := buf[i]
			if c == '"' {
				str := buf[s.pos+1 : i]
				if len(str) > MaxWireToken {
					return nil, s.errorf("string longer than %d bytes", MaxWireToken)
				}
				s.pos = i + 1
				return str, nil
			}
			if c == '\\' {
				return s.readEscapedString(i)
			}
			if c < 0x20 {
				return nil, fmt.Errorf("offset %d: control character in string", s.base+int64(i))
			}
			i++
		}
		if i-s.pos > MaxWireToken {
			return nil, s.errorf("string longer than %d bytes", MaxWireToken)
		}
		n := i - s.pos
		if !s.fill() {
			return nil, s.eofError()
		}
		i = s.pos + n
	}
}

// readEscapedString is the slow path of readString for a string whose
// first backslash is at buf[i]: it unescapes into scratch.
func (s *scanner) readEscapedString(i int) ([]byte, error) {
	out := append(s.scratch[:0], s.buf[s.pos+1:i]...)
	s.pos = i
	next := func() (byte, error) {
		if s.pos >= s.end && !s.fill() {
			return 0, s.eofError()
		}
		c := s.buf[s.pos]
		s.pos++
		return c, nil
	}
	hex4 := func() (rune, error) {
		var r rune
		for range 4 {
			c, err := next()
			if err != nil {
				return 0, err
			}
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, s.errorf("bad \\u escape")
			}
		}
		return r, nil
	}
	for {
		if len(out) > MaxWireToken {
			return nil, s.errorf("string longer than %d bytes", MaxWireToken)
		}
		c, err := next()
		if err != nil {
			return nil, err
		}
		switch {
		case c == '"':
			s.scratch = out
			return out, nil
		case c < 0x20:
			return nil, s.errorf("control character in string")
		case c != '\\':
			out = append(out, c)
			continue
		}
		if c, err = next(); err != nil {
			return nil, err
		}
		switch c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate pairs with a following \uXXXX low one;
				// anything else decodes to U+FFFD, as encoding/json does.
				for s.end-s.pos < 2 && s.fill() {
				}
				if s.end-s.pos >= 2 && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					s.pos += 2
					r2, err := hex4()
					if err != nil {
						return nil, err
					}
					r = utf16.DecodeRune(r, r2)
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.errorf("bad escape \\%c", c)
		}
	}
}

// skipValue skips one JSON value of any kind, nested at most maxJSONDepth
// deep counting from depth.
func (s *scanner) skipValue(depth int) error {
	if depth >= maxJSONDepth {
		return s.errorf("nested deeper than %d", maxJSONDepth)
	}
	c, err := s.skipSpace()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		_, err := s.readString()
		return err
	case '{':
		s.pos++
		for first := true; ; first = false {
			_, done, err := s.nextKey(first)
			if err != nil || done {
				return err
			}
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		s.pos++
		for first := true; ; first = false {
			c, err := s.skipSpace()
			if err != nil {
				return err
			}
			if c == ']' {
				s.pos++
				return nil
			}
			if !first {
				if c != ',' {
					return s.errorf("want ',' or ']', got %s", describe(c))
				}
				s.pos++
			}
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
		}
	}
	return s.skipLiteral()
}

// skipLiteral skips a number, true, false or null.
func (s *scanner) skipLiteral() error {
	start := s.offset()
	s.scratch = s.scratch[:0]
	for {
		if s.pos >= s.end && !s.fill() {
			if s.rerr != io.EOF {
				return s.eofError()
			}
			break
		}
		c := s.buf[s.pos]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E') {
			break
		}
		if len(s.scratch) > 64 {
			return fmt.Errorf("offset %d: literal too long", start)
		}
		s.scratch = append(s.scratch, c)
		s.pos++
	}
	lit := s.scratch
	switch string(lit) {
	case "true", "false", "null":
		return nil
	}
	if len(lit) > 0 && lit[0] == '-' {
		lit = lit[1:]
	}
	if !isDecimal(lit) || len(lit) > 1 && lit[0] == '0' && lit[1] >= '0' && lit[1] <= '9' {
		if len(s.scratch) == 0 {
			if s.pos >= s.end {
				return s.eofError()
			}
			return fmt.Errorf("offset %d: unexpected %s", start, describe(s.buf[s.pos]))
		}
		return fmt.Errorf("offset %d: bad literal %q", start, s.scratch)
	}
	return nil
}

// readLine returns the next line without its line end. ok is false at a
// clean end of the body; a last line with no line end is an error.
func (s *scanner) readLine() (line []byte, ok bool, err error) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			line = s.buf[s.pos : s.pos+i]
			s.pos += i + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > MaxWireToken {
				return nil, false, fmt.Errorf("line longer than %d bytes", MaxWireToken)
			}
			return line, true, nil
		}
		if s.end-s.pos > MaxWireToken {
			return nil, false, fmt.Errorf("line longer than %d bytes", MaxWireToken)
		}
		if !s.fill() {
			switch {
			case s.rerr != io.EOF:
				return nil, false, fmt.Errorf("read: %w", s.rerr)
			case s.pos == s.end:
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("last line %q has no line end (truncated?): %w",
				truncateForError(s.buf[s.pos:s.end]), io.ErrUnexpectedEOF)
		}
	}
}
