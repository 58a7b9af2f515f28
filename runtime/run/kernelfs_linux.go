package run

import "golang.org/x/sys/unix"

// kernelFSType names the kernel file system p is on, when it is one whose
// files are the kernel's settings (sysfs, cgroups, tracing and the like
// mounted somewhere else than /sys), or returns "".
func kernelFSType(p string) string {
	var st unix.Statfs_t
	if unix.Statfs(p, &st) != nil {
		return ""
	}
	switch st.Type {
	case unix.SYSFS_MAGIC, unix.PROC_SUPER_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC,
		unix.DEBUGFS_MAGIC, unix.TRACEFS_MAGIC, unix.SECURITYFS_MAGIC, unix.BPF_FS_MAGIC,
		unix.EFIVARFS_MAGIC, unix.PSTOREFS_MAGIC, configfsMagic:
		return "a kernel file system"
	}
	return ""
}

// configfsMagic is configfs's statfs type (linux/magic.h), which x/sys
// does not name.
const configfsMagic = 0x62656570
