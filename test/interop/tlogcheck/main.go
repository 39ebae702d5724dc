// Command tlogcheck checks a Custodes log with tools no one on the project
// wrote: Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
// golang-golang-x-mod-dev) and crypto/ed25519 (docs/PROTOCOL.md §4.3, §9.9).
//
// It reads a C2SP tlog-tiles tree (the coordinator's /log/v1 or a static
// mirror), then:
//   - opens the checkpoint with note.Open under the log's Ed25519 key
//     (-log-key origin=hexkey: the verifier key, key ID included, is made by
//     note.NewEd25519VerifierKey, not taken from us);
//   - verifies the C2SP cosignature/v1 lines (type 0x04) of the given
//     witnesses with crypto/ed25519 (-witness name=hexkey, repeatable);
//   - reads hash tiles through tlog.TileHashReader, which authenticates
//     every tile against the checkpoint's root;
//   - checks tlog.CheckRecord for random entries (their bytes from the entry
//     bundles) and tlog.CheckTree for random older sizes;
//   - with -api, also checks the coordinator's own JSON proofs with them.
//
// It prints one line per check and "OK" last; any failure is one line
// "FAIL: ..." and exit status 1.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// C2SP tlog-tiles: tiles of height 8, 256 hashes or entries wide.
const tileHeight = 8

var client = &http.Client{Timeout: 15 * time.Second}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func get(url string) []byte {
	resp, err := client.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		fail("GET %s: %s", url, resp.Status)
	}
	return body
}

// c2spPath is tlog's tile path without the height element: C2SP tlog-tiles
// writes tile/<L>/<N>[.p/<W>] where Go's sumdb writes tile/8/<L>/<N>[.p/<W>].
func c2spPath(t tlog.Tile) string {
	return "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
}

// tileReader reads hash tiles over HTTP; tlog.TileHashReader authenticates them.
type tileReader struct{ base string }

func (r tileReader) Height() int { return tileHeight }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get(r.base + "/" + c2spPath(t))
		if len(out[i]) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s holds %d bytes, not %d", c2spPath(t), len(out[i]), t.W*tlog.HashSize)
		}
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// entry returns leaf i of the tree of size n from its entry bundle
// (C2SP tlog-tiles: each entry a big-endian u16 length, then its bytes).
func entry(base string, i, n int64) []byte {
	t := tlog.Tile{H: tileHeight, L: 0, N: i >> tileHeight, W: 1 << tileHeight}
	if rest := n - t.N<<tileHeight; rest < int64(t.W) {
		t.W = int(rest)
	}
	bundle := get(base + "/" + strings.Replace(c2spPath(t), "tile/0/", "tile/entries/", 1))
	for k := int64(0); len(bundle) >= 2; k++ {
		size := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+size {
			fail("entry bundle of tile %d is truncated", t.N)
		}
		if k == i-t.N<<tileHeight {
			return bundle[2 : 2+size]
		}
		bundle = bundle[2+size:]
	}
	fail("entry bundle of tile %d has no entry %d", t.N, i)
	return nil
}

// parseCheckpoint reads the C2SP tlog-checkpoint body: origin, size, base64 root.
func parseCheckpoint(text string) (string, tlog.Tree) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 {
		fail("checkpoint body has %d lines, not 3", len(lines))
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 1 {
		fail("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return lines[0], tlog.Tree{N: n, Hash: h}
}

type witnessKeys []string

func (w *witnessKeys) String() string     { return strings.Join(*w, ",") }
func (w *witnessKeys) Set(v string) error { *w = append(*w, v); return nil }

// cosignatures verifies C2SP tlog-cosignature cosignature/v1 lines: key ID
// SHA-256(name || 0x0A || 0x04 || key)[:4], signature bytes
// u64 timestamp || Ed25519 over "cosignature/v1\ntime <t>\n" || body.
func cosignatures(sigs []note.Signature, body string, witnesses []string) []string {
	var ok []string
	for _, w := range witnesses {
		name, keyHex, found := strings.Cut(w, "=")
		key, err := hex.DecodeString(keyHex)
		if !found || err != nil || len(key) != ed25519.PublicKeySize {
			fail("-witness %q: want name=<64 hex digits>", w)
		}
		id := sha256.Sum256(append([]byte(name+"\n\x04"), key...))
		want := binary.BigEndian.Uint32(id[:4])
		for _, s := range sigs {
			if s.Name != name || s.Hash != want {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(s.Base64)
			if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
				fail("cosignature of %s is malformed", name)
			}
			ts := binary.BigEndian.Uint64(raw[4:12])
			msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, body)
			if !ed25519.Verify(key, []byte(msg), raw[12:]) {
				fail("cosignature of %s (time %d) does not verify", name, ts)
			}
			ok = append(ok, name)
		}
	}
	return ok
}

func proofJSON(url string) []tlog.Hash {
	var body struct {
		Proof []string `json:"proof"`
	}
	if err := json.Unmarshal(get(url), &body); err != nil {
		fail("%s: %v", url, err)
	}
	out := make([]tlog.Hash, len(body.Proof))
	for i, p := range body.Proof {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(b) != tlog.HashSize {
			fail("%s: proof[%d] is not a base64 hash", url, i)
		}
		copy(out[i][:], b)
	}
	return out
}

func main() {
	base := flag.String("tiles", "", "tlog-tiles base URL: <coordinator>/log/v1 or a mirror")
	api := flag.String("api", "", "optional: the coordinator's base URL, to check its JSON proofs too")
	logKey := flag.String("log-key", "", "the log's Ed25519 note key: origin=<64 hex digits>")
	minCosigs := flag.Int("min-cosignatures", 0, "cosignatures required among -witness keys")
	samples := flag.Int("samples", 20, "random entries and sizes to prove")
	seed := flag.Int64("seed", time.Now().UnixNano(), "random seed")
	var witnesses witnessKeys
	flag.Var(&witnesses, "witness", "a witness name=hex Ed25519 key (repeatable)")
	flag.Parse()
	if *base == "" {
		fail("-tiles is required")
	}
	*base = strings.TrimSuffix(*base, "/")
	rng := rand.New(rand.NewSource(*seed))

	msg := get(*base + "/checkpoint")
	var n *note.Note
	if *logKey != "" {
		name, keyHex, found := strings.Cut(*logKey, "=")
		key, err := hex.DecodeString(keyHex)
		if !found || err != nil || len(key) != ed25519.PublicKeySize {
			fail("-log-key %q: want origin=<64 hex digits>", *logKey)
		}
		vkey, err := note.NewEd25519VerifierKey(name, key)
		if err != nil {
			fail("note.NewEd25519VerifierKey: %v", err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			fail("note.NewVerifier: %v", err)
		}
		n, err = note.Open(msg, note.VerifierList(v))
		if err != nil {
			fail("note.Open: %v", err)
		}
		fmt.Printf("note.Open: the log's Ed25519 signature verifies (%s, key ID %08x)\n", n.Sigs[0].Name, n.Sigs[0].Hash)
	} else {
		// No verifier: note.Open still parses the note strictly and lists every signature as unverified.
		var err error
		n, err = note.Open(msg, note.VerifierList())
		var unverified *note.UnverifiedNoteError
		if !errors.As(err, &unverified) {
			fail("note.Open: %v", err)
		}
		n = unverified.Note
		fmt.Printf("note.Open: well-formed note, %d signature line(s), log signature NOT checked (no -log-key)\n", len(n.UnverifiedSigs))
	}
	origin, tree := parseCheckpoint(n.Text)
	fmt.Printf("checkpoint: origin %s, size %d, root %s\n", origin, tree.N, base64.StdEncoding.EncodeToString(tree.Hash[:]))

	if len(witnesses) > 0 || *minCosigs > 0 {
		ok := cosignatures(append(append([]note.Signature{}, n.Sigs...), n.UnverifiedSigs...), n.Text, witnesses)
		if len(ok) < *minCosigs {
			fail("%d cosignature/v1 line(s) verify (%s); %d required", len(ok), strings.Join(ok, ", "), *minCosigs)
		}
		fmt.Printf("cosignature/v1: %d witness cosignature(s) verify with crypto/ed25519 (%s)\n", len(ok), strings.Join(ok, ", "))
	}

	thr := tlog.TileHashReader(tree, tileReader{*base})
	root, err := tlog.TreeHash(tree.N, thr)
	if err != nil {
		fail("tlog.TileHashReader: %v", err)
	}
	if root != tree.Hash {
		fail("tlog.TreeHash(%d) = %v, not the checkpoint's root", tree.N, root)
	}
	fmt.Printf("tlog.TileHashReader: hash tiles authenticated against the root of size %d\n", tree.N)

	for k := 0; k < *samples; k++ {
		i := rng.Int63n(tree.N)
		leaf := tlog.RecordHash(entry(*base, i, tree.N))
		p, err := tlog.ProveRecord(tree.N, i, thr)
		if err != nil {
			fail("tlog.ProveRecord(%d, %d): %v", tree.N, i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, leaf); err != nil {
			fail("tlog.CheckRecord entry %d of %d: %v", i, tree.N, err)
		}
		if *api != "" {
			q := proofJSON(fmt.Sprintf("%s/log/v1/proof/inclusion?index=%d&size=%d", *api, i, tree.N))
			if err := tlog.CheckRecord(q, tree.N, tree.Hash, i, leaf); err != nil {
				fail("tlog.CheckRecord on the coordinator's inclusion proof of %d in %d: %v", i, tree.N, err)
			}
		}
	}
	fmt.Printf("tlog.CheckRecord: %d random entries proven in the tree of size %d\n", *samples, tree.N)

	for k := 0; k < *samples && tree.N > 1; k++ {
		s := 1 + rng.Int63n(tree.N-1)
		old, err := tlog.TreeHash(s, thr)
		if err != nil {
			fail("tlog.TreeHash(%d): %v", s, err)
		}
		p, err := tlog.ProveTree(tree.N, s, thr)
		if err != nil {
			fail("tlog.ProveTree(%d, %d): %v", tree.N, s, err)
		}
		if err := tlog.CheckTree(p, tree.N, tree.Hash, s, old); err != nil {
			fail("tlog.CheckTree %d → %d: %v", s, tree.N, err)
		}
		if *api != "" {
			q := proofJSON(fmt.Sprintf("%s/log/v1/proof/consistency?from=%d&to=%d", *api, s, tree.N))
			if err := tlog.CheckTree(q, tree.N, tree.Hash, s, old); err != nil {
				fail("tlog.CheckTree on the coordinator's consistency proof %d → %d: %v", s, tree.N, err)
			}
		}
	}
	fmt.Printf("tlog.CheckTree: %d random older sizes proven consistent with size %d\n", *samples, tree.N)
	if *api != "" {
		fmt.Printf("api: the coordinator's inclusion and consistency proofs pass tlog.CheckRecord and tlog.CheckTree\n")
	}
	fmt.Println("OK")
}
