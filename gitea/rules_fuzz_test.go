package gitea

import (
	"net/url"
	"strings"
	"testing"

	sdk "code.gitea.io/sdk/gitea"
)

// FuzzParseChecksum: a checksum file yields nothing or a lowercase
// SHA-256 hex digest.
func FuzzParseChecksum(f *testing.F) {
	h := strings.Repeat("ab", 32)
	f.Add(h+"  aws_prov.tar.gz\n", "aws_prov.tar.gz", false)
	f.Add(strings.ToUpper(h)+"\n", "x", true)
	f.Add(h+" *./dist/aws_prov.tar.gz\r\n", "aws_prov.tar.gz", false)
	f.Add("garbage\n\n"+h, "a", false)
	f.Fuzz(func(t *testing.T, content, file string, single bool) {
		got, err := parseChecksum(strings.NewReader(content), file, single)
		if err != nil && got != "" {
			t.Fatalf("both a checksum and an error: %q, %v", got, err)
		}
		if got != "" && (!isSHA256(got) || got != strings.ToLower(got)) {
			t.Fatalf("checksum %q", got)
		}
	})
}

// FuzzChooseAssets: the archive chosen is one of the assets, named
// {repo}.tar.gz or ending in .tar.gz/.tgz/.zip; checksum files are others.
func FuzzChooseAssets(f *testing.F) {
	f.Add("aws_prov", "aws_prov.tar.gz\naws_prov.tar.gz.sha256\nSHA256SUMS")
	f.Add("k", "notes.txt\nK.ZIP\nchecksums.txt")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, repo, names string) {
		var assets []*sdk.Attachment
		for i, n := range strings.Split(names, "\n") {
			assets = append(assets, &sdk.Attachment{ID: int64(len(names) - i), Name: n})
		}
		archive, sums := chooseAssets(repo, assets)
		if archive == nil {
			if len(sums) != 0 {
				t.Fatal("checksums without an archive")
			}
			return
		}
		n := strings.ToLower(archive.Name)
		if archive.Name != repo+".tar.gz" && !strings.HasSuffix(n, ".tar.gz") && !strings.HasSuffix(n, ".tgz") && !strings.HasSuffix(n, ".zip") {
			t.Fatalf("archive %q", archive.Name)
		}
		for _, s := range sums {
			if s == archive {
				t.Fatal("the archive is its own checksum file")
			}
		}
	})
}

// FuzzValidName: a name accepted as a Gitea owner or repository can never
// build another API path.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"infra", "aws_prov", "..", ".", "a/b", "a%2fb", "ä", "", "a b", "-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validName(s) {
			return
		}
		if url.PathEscape(s) != s || s == "." || s == ".." || strings.ContainsAny(s, "/\\?#%") {
			t.Fatalf("accepted %q", s)
		}
	})
}
