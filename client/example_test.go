package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/provisioning-platform/extension-registry/client"
)

// Search for extensions, as `extension-registry search kubernetes` does.
func ExampleClient_Search() {
	c, err := client.New(registryURL) // e.g. "http://localhost:8082"
	if err != nil {
		log.Fatal(err)
	}
	exts, err := c.Search(context.Background(), "kubernetes", client.SearchOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range exts {
		fmt.Println(e.Type+"/"+e.Name, e.Version)
	}
	// Output:
	// taskserv/kubernetes 1.28.0
	// taskserv/k3s 1.27.5
}

// List every extension of one type; List follows the pages for you.
func ExampleClient_List() {
	c, _ := client.New(registryURL)
	exts, err := c.List(context.Background(), client.ListOptions{Type: "provider"})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range exts {
		fmt.Println(e.Name, e.Version, e.Source)
	}
	// Output:
	// aws 1.2.0 oci
	// upcloud 2.1.3 oci
}

// Describe one extension.
func ExampleClient_Get() {
	c, _ := client.New(registryURL)
	e, err := c.Get(context.Background(), "taskserv", "kubernetes")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Version, "-", e.Description)
	// Output: 1.28.0 - Kubernetes container orchestration platform
}

// List the versions of an extension, newest first.
func ExampleClient_Versions() {
	c, _ := client.New(registryURL)
	vs, err := c.Versions(context.Background(), "taskserv", "kubernetes")
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vs {
		fmt.Println(v.Version)
	}
	// Output:
	// 1.28.0
	// 1.27.5
	// 1.27.4
}

// Download a version into a file; the checksum is verified as the bytes
// stream, so a *ChecksumError means the file must be thrown away.
func ExampleClient_Download() {
	c, _ := client.New(registryURL)
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	f, err := os.CreateTemp(dir, "download-*")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := c.Download(context.Background(), "taskserv", "kubernetes", "1.28.0", f, nil)
	var mismatch *client.ChecksumError
	if errors.As(err, &mismatch) {
		log.Fatalf("tampered download: %v", mismatch)
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, res.FileName)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.FileName, res.Verified)
	// Output: kubernetes_taskserv.tar.gz true
}

// The server's errors carry the API's error type and message.
func ExampleAPIError() {
	c, _ := client.New(registryURL)
	_, err := c.Get(context.Background(), "provider", "nonexistent")
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	// Output: 404 not_found Extension provider/nonexistent not found
}
