// Package control lets a second process read a store a running mamori
// holds: the console, `mamori --headless` and `mamori demo` listen on a
// local control socket, and the read commands (alerts, incidents, report,
// evidence, rules, the --readonly console) ask it when they cannot open
// the store themselves.
//
// # Why a socket
//
// Badger allows one process to open a store for writing and none to read
// beside it, so while the console runs `mamori alerts` from another shell
// gets *store.LockedError. Rather than weaken that (a second reader of
// Badger's files would see half-written state, or we would need a
// multi-process store), the running instance stays the only process that
// touches the store and answers for it: DESIGN §5, "the console is one
// client of the running application; read commands from a second shell
// reach the same application".
//
// # What is served
//
// The server answers the reads app.Reader names — stored records of the
// incident, allow-list, metadata and baseline families, alerts, events,
// timelines, histograms, endpoint summaries, offsets, the audit log — and
// nothing that changes the store, except the two exports, which it does
// itself through the one export path (App.ExportReport and
// App.ExportEvidence, over package export), so that they are recorded in
// its audit log like an export from the console. The client
// opens an app.App over these reads (app.OpenReader): the commands then
// run the same code, with the same printers, as when they open the store,
// and print the same thing. The console's live feeds (new alerts,
// incident changes) are streamed, so a --readonly console in a second
// session follows the running one.
//
// The protocol is HTTP/1.1 with JSON bodies on the unix socket, versioned
// under /v1/, so it can be read with
//
//	curl --unix-socket DB/control.sock http://mamori/v1/hello
//
// Events travel in the store's own binary encoding (base64 in JSON): their
// JSON form is made for people and is not read back.
//
// # Who may connect
//
// The socket is the store's owner's only, as the store is: it is made in
// the store directory, <db>/control.sock, which the store keeps at mode
// 0700, with mode 0600 itself. Unix socket paths are limited to 108 bytes
// on Linux (104 on macOS); when <db>/control.sock is longer it is made as
// $XDG_RUNTIME_DIR/mamori/<hash>.sock, else <tmp>/mamori-<uid>/<hash>.sock
// (hash: of the store's absolute path), in a directory of mode 0700 that
// must belong to the user. On every connection the server checks the
// peer's user id (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS) and
// closes the connection of any other user; the client checks that the
// socket file and its directory are its user's and closed to others, and
// the server's user id, before it sends anything (an export names a path).
// Everything served could be read from the store's files by the same
// user, so the socket gives nobody more than they have.
//
// A socket left by a mamori that was killed (kill -9) is found dead when
// the next one starts (connecting fails) and replaced; a clean exit
// removes it. Windows has no control socket: a read command there still
// needs the store to itself.
package control
