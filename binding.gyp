# The native I/O addon (native/): AF_PACKET rings for the data plane. Built by `npm run build:native`.
{
  "targets": [
    {
      "target_name": "tsvs_afpacket",
      "sources": ["native/afpacket.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-Wall", "-Wextra", "-Wno-missing-field-initializers"]
    }
  ]
}
