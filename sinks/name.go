package sinks

import (
	"errors"
	"fmt"
	"strings"
)

// maxNameLen keeps a file name, with its extension and the temporary
// suffix, under the 255-byte limit of common file systems.
const maxNameLen = 200

// SafeName returns the file-name form of symbol, which can never leave the
// output directory. ASCII letters, digits, '-', '_' and '.' are kept; every
// other byte, and a leading '.', becomes %XX (upper-case hex), the escaping
// Hive and Spark use for partition values. So "BRK.B" stays "BRK.B",
// "../etc" becomes "%2E.%2Fetc", "EURUSD=X" becomes "EURUSD%3DX", and no
// name is hidden, contains a separator, NUL or control byte, or equals "."
// or "..". The mapping is one-to-one: two symbols never share a file. Case
// is kept, so "aapl" and "AAPL" collide on case-insensitive file systems;
// callers normalise symbols first.
//
// SafeName fails for an empty symbol and for one whose escaped form exceeds
// 200 bytes.
func SafeName(symbol string) (string, error) {
	if symbol == "" {
		return "", errors.New("sinks: empty symbol")
	}
	var b strings.Builder
	for i := 0; i < len(symbol); i++ {
		c := symbol[i]
		if plainByte(c) && (i > 0 || c != '.') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	if b.Len() > maxNameLen {
		return "", fmt.Errorf("sinks: symbol %.20q...: file name longer than %d bytes", symbol, maxNameLen)
	}
	return b.String(), nil
}

func plainByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}
