package dataset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxNameLen keeps a file name, with its extension and the temporary
// suffix, under the 255-byte limit of common file systems.
const maxNameLen = 200

// FileName returns the file-name form of symbol, which can never leave the
// output directory. ASCII letters, digits, '-', '_' and '.' are kept; every
// other byte, and a leading '.', becomes %XX (upper-case hex), the escaping
// Hive and Spark use for partition values. So "BRK.B" stays "BRK.B",
// "../etc" becomes "%2E.%2Fetc", "EURUSD=X" becomes "EURUSD%3DX", and no
// name is hidden, contains a separator, NUL or control byte, or equals "."
// or "..". The mapping is one-to-one: two symbols never share a file. Case
// is kept, so "aapl" and "AAPL" collide on case-insensitive file systems;
// callers normalise symbols first. [SymbolOf] is its inverse.
//
// FileName fails for an empty symbol and for one whose escaped form exceeds
// 200 bytes.
func FileName(symbol string) (string, error) {
	if symbol == "" {
		return "", errors.New("empty symbol")
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
		return "", fmt.Errorf("symbol %.20q...: file name longer than %d bytes", symbol, maxNameLen)
	}
	return b.String(), nil
}

func plainByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}

// SymbolOf returns the symbol whose [FileName] is name: it undoes the %XX
// escapes, so "EURUSD%3DX" gives "EURUSD=X" and "%5EGSPC" gives "^GSPC". It
// fails for a name FileName could not have made.
func SymbolOf(name string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			if !plainByte(c) {
				return "", fmt.Errorf("file name %q: byte %#x is not escaped", name, c)
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", fmt.Errorf("file name %q: escape cut short", name)
		}
		v, err := strconv.ParseUint(name[i+1:i+3], 16, 8)
		if err != nil || strings.ToUpper(name[i+1:i+3]) != name[i+1:i+3] {
			return "", fmt.Errorf("file name %q: bad escape %q", name, name[i:i+3])
		}
		b.WriteByte(byte(v))
		i += 2
	}
	sym := b.String()
	if again, err := FileName(sym); err != nil || again != name {
		return "", fmt.Errorf("file name %q is not the file name of a symbol", name)
	}
	return sym, nil
}
