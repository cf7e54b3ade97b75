package main

// version is written into every file's metadata and the manifest.
const version = "0.1.0-dev"
