// Package version holds permc's version and the artifact format version.
package version

// Version is permc's release version. It is recorded in every manifest;
// golden files change when it does (see README, "Golden files").
const Version = "0.1.0"

// ArtifactFormat is the version of the artifact layout and file formats.
// It changes only when a loader of the previous format could misread the
// new one.
const ArtifactFormat = 1
