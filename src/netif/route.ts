// Routing tables: longest-prefix match for IPv4 and IPv6 (to be implemented: see the brief).
export {};
