// Loads a compose file with compose-spec/compose-go, the loader `docker compose` itself uses
// (interpolation, `:?` required variables, anchors and merges, profiles, path resolution), and prints
// the resolved project as JSON. Usage: go run . <compose file> <env file> [profile...]
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: validate <compose file> <env file> [profile...]")
		os.Exit(2)
	}
	file, envFile := os.Args[1], os.Args[2]
	opts, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)),
		// Only the env file: the test's own environment must not fill a variable in.
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithProfiles(os.Args[3:]),
		cli.WithResolvedPaths(true),
		cli.WithInterpolation(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := cli.ProjectFromOptions(context.Background(), opts)
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
