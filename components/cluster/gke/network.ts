import * as gcp from "./gcp-services";
import type * as pulumi from "@pulumi/pulumi";

export interface GkeNetworkArgs {
  readonly region: string;
  /** Primary range of the node subnet. */
  readonly nodesCidr: string;
  /** Secondary range pod IPs come from (VPC-native). */
  readonly podsCidr: string;
  /** Secondary range ClusterIP services come from. */
  readonly servicesCidr: string;
}

export interface GkeNetwork {
  readonly network: gcp.compute.Network;
  readonly subnet: gcp.compute.Subnetwork;
  readonly podsRangeName: string;
  readonly servicesRangeName: string;
  readonly nat: gcp.compute.RouterNat;
}

export const secondaryRangeNames = { pods: "pods", services: "services" } as const;

/**
 * A dedicated VPC with one regional subnet. Nodes have no public IPs, so Cloud NAT is their only way
 * out (image pulls from Docker Hub, Hugging Face downloads); Google APIs stay on Private Google Access.
 */
export function createGkeNetwork(name: string, args: GkeNetworkArgs, opts: pulumi.CustomResourceOptions): GkeNetwork {
  const network = new gcp.compute.Network(
    `${name}-vpc`,
    { autoCreateSubnetworks: false, routingMode: "REGIONAL", description: `llm-platform ${name}` },
    opts,
  );
  const subnet = new gcp.compute.Subnetwork(
    `${name}-nodes`,
    {
      network: network.id,
      region: args.region,
      ipCidrRange: args.nodesCidr,
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: secondaryRangeNames.pods, ipCidrRange: args.podsCidr },
        { rangeName: secondaryRangeNames.services, ipCidrRange: args.servicesCidr },
      ],
    },
    opts,
  );
  const router = new gcp.compute.Router(`${name}-router`, { network: network.id, region: args.region }, opts);
  const nat = new gcp.compute.RouterNat(
    `${name}-nat`,
    {
      router: router.name,
      region: args.region,
      natIpAllocateOption: "AUTO_ONLY",
      // Only the node subnet gets NAT: nothing else in this VPC should reach the internet by accident.
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    },
    opts,
  );
  return { network, subnet, nat, podsRangeName: secondaryRangeNames.pods, servicesRangeName: secondaryRangeNames.services };
}
