// A port: one NIC as the data plane sees it (name, MAC, MTU, up), numbered densely from 0.
// Drivers map ports to real interfaces or captures; the engine only knows the index.

export class Port {
  readonly index: number;
  readonly name: string;
  readonly mac: Uint8Array;
  mtu: number;
  up = true;

  constructor(index: number, name: string, mac: Uint8Array, mtu: number) {
    this.index = index;
    this.name = name;
    this.mac = mac;
    this.mtu = mtu;
  }
}
