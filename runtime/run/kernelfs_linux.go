package run

import (
	"fmt"
	"strings"

	"github.com/permc/permc/backend/bwrap"
)

// kernelFSType names the kernel file system p is on, when it is one whose
// files are the kernel's settings or reach host processes (sysfs, cgroups,
// tracing, binfmt_misc, message queues, a devtmpfs and the like, mounted
// anywhere), or returns "". It reads /proc/self/mountinfo rather than
// statfs(2), which takes a devtmpfs for a tmpfs.
func kernelFSType(p string) string {
	mounts, err := kernelMounts()
	if err != nil {
		return ""
	}
	for _, m := range mounts {
		if m.Point != "/" && (p == m.Point || strings.HasPrefix(p, m.Point+"/")) {
			return fmt.Sprintf("a %s file system (%s)", m.Type, m.Point)
		}
	}
	return ""
}

// kernelTypes are the file system types of /proc/self/mountinfo that no
// writable root may be or hold.
var kernelTypes = map[string]bool{
	"sysfs": true, "proc": true, "cgroup": true, "cgroup2": true, "debugfs": true, "tracefs": true,
	"securityfs": true, "bpf": true, "efivarfs": true, "pstore": true, "binfmt_misc": true,
	"fusectl": true, "mqueue": true, "hugetlbfs": true, "devpts": true, "selinuxfs": true,
	"smackfs": true, "nsfs": true, "configfs": true, "devtmpfs": true, "rpc_pipefs": true, "nfsd": true,
	"resctrl": true, "binder": true, "autofs": true,
}

// kernelMounts lists the kernel file systems of this mount namespace.
func kernelMounts() ([]mount, error) {
	all, err := readMountTable()
	if err != nil {
		return nil, err
	}
	var out []mount
	for _, m := range all {
		if kernelTypes[m.Type] {
			out = append(out, m)
		}
	}
	return out, nil
}

// checkKernelMounts refuses a plan that would leave a kernel file system
// writable inside: a writable bind in one (through $HOME, say), or one
// mounted below a writable bind, since bubblewrap binds a writable root with everything
// mounted below it, so a chroot's proc or a sysfs mounted in a workspace
// would come along read-write, and as root that writes the host kernel's
// settings.
func checkKernelMounts(res *bwrap.Resolved) error {
	for _, o := range res.Ops {
		if o.Op != bwrap.OpBind {
			continue // a device a rule grants (--dev-bind) is a device node, granted as such
		}
		if k := kernelFS(o.Src); k != "" {
			return fail(ExitSetup, "refusing to run: %s would be writable inside the sandbox (%s), and it is in %s; "+
				"the sandbox could change the host kernel's settings (is $HOME or a --bind pointing there?)",
				o.Src, o.Origin, k)
		}
	}
	mounts, err := kernelMounts()
	if err != nil {
		return fail(ExitSetup, "reading the host's mounts: %v; nothing ran", err)
	}
	for _, o := range res.Ops {
		if o.Op != bwrap.OpBind {
			continue // a device a rule grants (--dev-bind) is a device node, granted as such
		}
		// A writable bind inside a kernel mount (a folder of a devtmpfs
		// mounted outside /dev, which statfs takes for a tmpfs).
		for _, m := range mounts {
			if m.Point != "/" && (o.Src == m.Point || strings.HasPrefix(o.Src, m.Point+"/")) {
				return fail(ExitSetup, "refusing to run: %s would be writable inside the sandbox (%s), and it lies "+
					"in %s, a %s file system; the sandbox could change what the host kernel serves there",
					o.Src, o.Origin, m.Point, m.Type)
			}
		}
	}
	for _, m := range mounts {
		if at, ok := res.WritableFromInside(m.Point); ok {
			return fail(ExitSetup, "refusing to run: %s (a %s file system) would be writable inside the sandbox "+
				"at %s, through a writable root it lies in; the sandbox could change the host kernel's settings. "+
				"Unmount it, or make the folder holding it read-only in the profile", m.Point, m.Type, at)
		}
	}
	return nil
}
