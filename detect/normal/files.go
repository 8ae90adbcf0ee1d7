package normal

import (
	"net/url"
	"strings"

	"github.com/mamori-soc/mamori/event"
)

// exeExts are the extensions of files Windows runs or installs: what a
// dropper fetches and what lateral movement copies. ".js" and ".com" are
// only believed from a file name given by the server or the share, never
// from a URL path, where they are ordinary web scripts and host names.
var exeExts = map[string]bool{
	"exe": true, "dll": true, "scr": true, "msi": true, "msp": true, "msix": true, "appx": true,
	"ps1": true, "psm1": true, "hta": true, "vbs": true, "vbe": true, "jse": true, "wsf": true,
	"wsh": true, "bat": true, "cmd": true, "jar": true, "cpl": true, "pif": true, "lnk": true,
	"sys": true, "ocx": true, "reg": true, "elf": true, "sh": true,
}

// namedOnlyExts are executable only when a server or share names the file.
var namedOnlyExts = map[string]bool{"js": true, "com": true}

// scriptExts are scripts a shell or Windows runs: servers send them as
// text (text/plain, text/x-sh), which says nothing against them; an HTML
// answer is a page (an error, a listing), not the script.
var scriptExts = map[string]bool{
	"sh": true, "ps1": true, "psm1": true, "bat": true, "cmd": true, "vbs": true, "vbe": true,
	"jse": true, "wsf": true, "wsh": true,
}

// exeMIMEs are the content types of executables, as servers send them and
// as Zeek and Suricata name them from the file's first bytes.
var exeMIMEs = map[string]bool{
	"application/x-msdownload":                      true,
	"application/x-dosexec":                         true,
	"application/x-msdos-program":                   true,
	"application/x-ms-dos-executable":               true,
	"application/vnd.microsoft.portable-executable": true,
	"application/x-msi":                             true,
	"application/x-ms-installer":                    true,
	"application/x-ms-shortcut":                     true,
	"application/hta":                               true,
	"application/x-executable":                      true,
	"application/x-elf":                             true,
	"application/x-sharedlib":                       true,
	"application/x-mach-binary":                     true,
}

// genericMIMEs say nothing about the content: an executable extension then
// decides.
var genericMIMEs = map[string]bool{
	"": true, "-": true, "application/octet-stream": true, "binary/octet-stream": true,
	"application/force-download": true, "application/download": true, "application/x-download": true,
}

// mimeBase returns a content type without parameters, lower-cased.
func mimeBase(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(ct)
		}
	}
	return ct
}

// ext returns the lower-cased extension of a file name or path ("" for
// none), ignoring a query string.
func ext(name string) string {
	if i := strings.IndexAny(name, "?#"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 || len(name)-i > 12 {
		return ""
	}
	e := name[i+1:]
	for j := 0; j < len(e); j++ {
		if c := e[j]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(e)
		}
	}
	return e
}

// urlPath returns the path of a logged URL (absolute, or origin-form).
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		j := strings.IndexByte(u, '/')
		if j < 0 {
			return "/"
		}
		u = u[j:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

// urlQuery returns the query string of a logged URL, without the '?'.
func urlQuery(u string) string {
	i := strings.IndexByte(u, '?')
	if i < 0 {
		return ""
	}
	q := u[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	return q
}

// fileNameOf returns the name of the file an event carries: the name the
// server or share gave, else the last segment of the URL path (decoded).
func fileNameOf(ev *event.Event) (name string, named bool) {
	if ev.FileName != "" {
		n := ev.FileName
		if i := strings.LastIndexAny(n, `/\`); i >= 0 {
			n = n[i+1:]
		}
		return n, true
	}
	p := urlPath(ev.URL)
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if d, err := url.PathUnescape(p); err == nil {
		p = d
	}
	return p, false
}

// executable says whether ev carries an executable, and what shows it:
// its content type, or an executable extension with a content type that
// says nothing else.
func executable(ev *event.Event) (why string, ok bool) {
	ct := mimeBase(ev.ContentType)
	name, named := fileNameOf(ev)
	e := ext(name)
	switch {
	case exeMIMEs[ct]:
		if name != "" {
			return clip(name, 80) + " (" + ct + ")", true
		}
		return ct, true
	case scriptExts[e] && strings.HasPrefix(ct, "text/") && ct != "text/html":
		return clip(name, 80) + " (" + ct + ")", true
	case !genericMIMEs[ct]:
		return "", false
	case exeExts[e], named && namedOnlyExts[e]:
		if ct == "" || ct == "-" {
			return clip(name, 80), true
		}
		return clip(name, 80) + " (" + ct + ")", true
	}
	return "", false
}

// fileFamily groups file types by what sending them out means.
type fileFamily uint8

const (
	famOther fileFamily = iota
	famDocument
	famArchive    // packaged, maybe encrypted: how stolen data leaves
	famDiskImage  // whole disks or virtual machines
	famDatabase   // database files, dumps, mailboxes, password vaults
	famExecutable // tools being moved
)

func (f fileFamily) String() string {
	return [...]string{"file", "document", "archive", "disk image", "database or mailbox", "executable"}[f]
}

// risky reports whether sending the family out is how exfiltration looks.
func (f fileFamily) risky() bool { return f >= famArchive }

var extFamilies = map[string]fileFamily{
	"zip": famArchive, "7z": famArchive, "rar": famArchive, "gz": famArchive, "tgz": famArchive,
	"tar": famArchive, "bz2": famArchive, "xz": famArchive, "zst": famArchive, "cab": famArchive,
	"lzh": famArchive, "lha": famArchive, "arj": famArchive, "ace": famArchive, "z01": famArchive,
	"001": famArchive, "zipx": famArchive, "gpg": famArchive, "pgp": famArchive, "enc": famArchive,
	"iso": famDiskImage, "img": famDiskImage, "vhd": famDiskImage, "vhdx": famDiskImage,
	"vmdk": famDiskImage, "dmg": famDiskImage, "qcow2": famDiskImage, "ova": famDiskImage, "wim": famDiskImage,
	"sql": famDatabase, "bak": famDatabase, "mdb": famDatabase, "accdb": famDatabase, "sqlite": famDatabase,
	"sqlite3": famDatabase, "db": famDatabase, "dmp": famDatabase, "dump": famDatabase, "mdf": famDatabase,
	"ldf": famDatabase, "pst": famDatabase, "ost": famDatabase, "kdbx": famDatabase, "ntds": famDatabase,
	"pdf": famDocument, "doc": famDocument, "docx": famDocument, "xls": famDocument, "xlsx": famDocument,
	"ppt": famDocument, "pptx": famDocument, "csv": famDocument, "txt": famDocument, "rtf": famDocument,
	"odt": famDocument, "ods": famDocument, "odp": famDocument, "jtd": famDocument,
	"jpg": famOther, "jpeg": famOther, "png": famOther, "gif": famOther, "heic": famOther, "mp4": famOther,
}

var mimeExts = map[string]string{
	"application/zip": "zip", "application/x-zip-compressed": "zip", "application/x-7z-compressed": "7z",
	"application/x-rar-compressed": "rar", "application/vnd.rar": "rar", "application/x-rar": "rar",
	"application/gzip": "gz", "application/x-gzip": "gz", "application/x-tar": "tar",
	"application/x-bzip2": "bz2", "application/x-xz": "xz", "application/zstd": "zst",
	"application/vnd.ms-cab-compressed": "cab", "application/x-iso9660-image": "iso",
	"application/x-raw-disk-image": "img", "application/x-sqlite3": "sqlite", "application/vnd.sqlite3": "sqlite",
	"application/vnd.ms-outlook": "pst", "application/vnd.ms-access": "mdb", "application/sql": "sql",
	"application/pgp-encrypted": "pgp", "application/pdf": "pdf", "application/msword": "doc",
	"application/vnd.ms-excel": "xls", "application/vnd.ms-powerpoint": "ppt", "text/csv": "csv",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}

// fileType names the type of a file from its content type or its name:
// an extension ("zip") and its family; "" when neither says.
func fileType(contentType, name string) (string, fileFamily) {
	if e, ok := mimeExts[mimeBase(contentType)]; ok {
		return e, extFamilies[e]
	}
	if exeMIMEs[mimeBase(contentType)] {
		return "exe", famExecutable
	}
	e := ext(name)
	if exeExts[e] {
		return e, famExecutable
	}
	if f, ok := extFamilies[e]; ok {
		return e, f
	}
	return "", famOther
}
