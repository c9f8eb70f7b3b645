package testserver

// StartGiteaProcess starts the Gitea binary bin with its work path in dir
// (which must exist and be empty) as StartGitea does, without a test: for
// programs such as the benchmark. The caller stops it with Close and
// removes dir.
func StartGiteaProcess(bin, dir string, opts GiteaOptions) (*Gitea, error) {
	return startGitea(bin, dir, opts)
}
