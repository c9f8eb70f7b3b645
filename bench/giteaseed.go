package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	sdk "code.gitea.io/sdk/gitea"
	"golang.org/x/sync/errgroup"
)

// giteaSuffixes are the repository suffixes the Gitea source reads, one
// third of the seeded repositories each.
var giteaSuffixes = []struct{ suffix, typ string }{
	{"_prov", "provider"}, {"_taskserv", "taskserv"}, {"_cluster", "cluster"},
}

// giteaSeedConcurrency bounds the SDK calls under way while seeding: Gitea
// writes every repository and release into one SQLite file.
const giteaSeedConcurrency = 8

// giteaRepoName is the i-th seeded repository, ext-001_prov, ext-002_taskserv, …
func giteaRepoName(i int) string {
	return fmt.Sprintf("ext-%03d%s", i, giteaSuffixes[i%len(giteaSuffixes)].suffix)
}

// seedGitea creates the public organization org holding n extension
// repositories (AutoInit, so that releases can tag main), each with one
// release per version carrying {repo}.tar.gz and a SHA256SUMS naming it,
// giteaSeedConcurrency repositories at a time.
func seedGitea(ctx context.Context, url, token, org string, n int, versions []string) error {
	c, err := sdk.NewClient(url, sdk.SetToken(token), sdk.SetGiteaVersion(""), sdk.SetContext(ctx),
		sdk.SetHTTPClient(&http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: giteaSeedConcurrency}}))
	if err != nil {
		return fmt.Errorf("gitea client: %w", err)
	}
	if _, _, err := c.CreateOrg(sdk.CreateOrgOption{Name: org, Visibility: sdk.VisibleTypePublic}); err != nil {
		return fmt.Errorf("gitea: create organization %s: %w", org, err)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(giteaSeedConcurrency)
	for i := range n {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return seedGiteaRepo(c, org, giteaRepoName(i), versions)
		})
	}
	return g.Wait()
}

// seedGiteaRepo creates one repository and its releases.
func seedGiteaRepo(c *sdk.Client, org, name string, versions []string) error {
	if _, _, err := c.CreateOrgRepo(org, sdk.CreateRepoOption{
		Name: name, Description: "benchmark extension " + name, AutoInit: true, DefaultBranch: "main", Readme: "Default",
	}); err != nil {
		return fmt.Errorf("gitea: create repository %s/%s: %w", org, name, err)
	}
	for _, v := range versions {
		rel, _, err := c.CreateRelease(org, name, sdk.CreateReleaseOption{TagName: "v" + v, Target: "main", Title: "v" + v})
		if err != nil {
			return fmt.Errorf("gitea: create release v%s of %s/%s: %w", v, org, name, err)
		}
		archive, err := smallArchive(name, v)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(archive)
		sums := fmt.Sprintf("%s  %s.tar.gz\n", hex.EncodeToString(sum[:]), name)
		for _, a := range []struct {
			name string
			data []byte
		}{{name + ".tar.gz", archive}, {"SHA256SUMS", []byte(sums)}} {
			if _, _, err := c.CreateReleaseAttachment(org, name, rel.ID, bytes.NewReader(a.data), a.name); err != nil {
				return fmt.Errorf("gitea: upload %s to v%s of %s/%s: %w", a.name, v, org, name, err)
			}
		}
	}
	return nil
}

// smallArchive is a .tar.gz holding one file that names the extension and
// version.
func smallArchive(name, version string) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := []byte(fmt.Sprintf("name: %s\nversion: %s\n", name, version))
	if err := tw.WriteHeader(&tar.Header{Name: name + "/extension.yaml", Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
