/**
 * On-demand list prices (USD, Linux, no discounts, no free tier) for the regions and machine types the
 * committed stacks use: the one table the cost model reads. Figures are the list prices published on
 * the providers' pages named in `sources`, entered on `pricesAsOf` from the pages as last seen (the
 * build machine had no access to them that day): re-check them there before quoting a total, and add
 * a region or type here (with its source) when a stack starts using it.
 */
export const pricesAsOf = "2026-11-29";

export const sources = {
  ec2: "https://aws.amazon.com/ec2/pricing/on-demand/ (Linux, On-Demand)",
  eks: "https://aws.amazon.com/eks/pricing/ (standard and extended support)",
  eksVersions: "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (release calendar)",
  vpc: "https://aws.amazon.com/vpc/pricing/ (NAT gateway, public IPv4)",
  elb: "https://aws.amazon.com/elasticloadbalancing/pricing/",
  ebs: "https://aws.amazon.com/ebs/pricing/",
  kms: "https://aws.amazon.com/kms/pricing/",
  gce: "https://cloud.google.com/compute/vm-instance-pricing (and /compute/gpus-pricing: G2 prices include the L4)",
  gke: "https://cloud.google.com/kubernetes-engine/pricing (cluster management fee)",
  pd: "https://cloud.google.com/compute/disks-image-pricing",
  gcpNetwork: "https://cloud.google.com/vpc/network-pricing (Cloud NAT, forwarding rules, external IPs)",
  cloudKms: "https://cloud.google.com/kms/pricing",
} as const;

/** Hours in a month as both providers' calculators count it. */
export const hoursPerMonth = 730;

/**
 * Spot and Spot VM prices move with demand; the model prices them at this fraction of on-demand.
 * Assumption: AWS advertises "up to 90%" off and GCP "60–91%" off; 0.35 (65% off) is a middle figure
 * for current GPU types, not a quote.
 */
export const spotFactor = 0.35;

/**
 * EKS bills a cluster at the extended-support rate once its Kubernetes minor is past the end of
 * standard support (14 months after EKS released it): extended support is on by default, and the
 * program sets no `upgradePolicy`. End-of-standard-support dates from the EKS release calendar.
 */
export const eksExtendedSupportHourly = 0.6;
export const eksStandardSupportEnds: Readonly<Record<string, string>> = {
  "1.32": "2026-03-23",
  "1.33": "2026-07-29",
  "1.34": "2026-12-02",
  "1.35": "2027-03-27",
};

export interface RegionPrices {
  /** Per machine hour, on-demand. */
  readonly machines: Readonly<Record<string, number>>;
  /** Standard support (EKS) or the cluster management fee (GKE). */
  readonly controlPlaneHourly: number;
  readonly natGatewayHourly: number;
  /** Cloud NAT bills per VM that uses it, up to a cap (GCP only). */
  readonly natPerVmHourly?: number;
  readonly natMaxHourly?: number;
  readonly publicIpv4Hourly: number;
  /** A load balancer for a Service of type LoadBalancer, by kind. */
  readonly loadBalancerHourly: Readonly<Record<string, number>>;
  /** Block storage per GiB-month, by volume type. */
  readonly volumeGiBMonth: Readonly<Record<string, number>>;
  /** The default StorageClass's volume type, for PVCs. */
  readonly pvcVolumeType: string;
  /** gp3's provisioned performance above its free baseline (125 MiB/s, 3000 IOPS), per month. */
  readonly gp3Provisioned?: { readonly perMiBpsMonth: number; readonly perIopsMonth: number };
  readonly kmsKeyMonthly: number;
}

export const regions: Readonly<Record<string, RegionPrices>> = {
  "us-east-1": {
    machines: {
      "m6i.large": 0.096,
      "m6i.2xlarge": 0.384,
      "g6.xlarge": 0.8048,
      "g6.2xlarge": 0.9776,
      "g6e.12xlarge": 10.49264,
      "g6e.24xlarge": 15.06559,
    },
    controlPlaneHourly: 0.1,
    natGatewayHourly: 0.045,
    publicIpv4Hourly: 0.005,
    // With no aws-load-balancer-type annotation, EKS's cloud controller makes a Classic Load Balancer.
    loadBalancerHourly: { classic: 0.025, nlb: 0.0225 },
    volumeGiBMonth: { gp3: 0.08, gp2: 0.1 },
    pvcVolumeType: "gp3",
    gp3Provisioned: { perMiBpsMonth: 0.04, perIopsMonth: 0.005 },
    kmsKeyMonthly: 1,
  },
  "us-central1": {
    machines: {
      "e2-standard-4": 0.134012,
      "g2-standard-4": 0.706832,
      "g2-standard-8": 0.853624,
    },
    controlPlaneHourly: 0.1,
    natGatewayHourly: 0,
    natPerVmHourly: 0.0014,
    natMaxHourly: 0.044,
    publicIpv4Hourly: 0.005,
    // The first five forwarding rules of a project.
    loadBalancerHourly: { forwardingRule: 0.025 },
    volumeGiBMonth: { "pd-balanced": 0.1, "pd-standard": 0.04, "pd-ssd": 0.17 },
    // GKE's default StorageClass standard-rwo is pd-balanced.
    pvcVolumeType: "pd-balanced",
    kmsKeyMonthly: 0.06,
  },
};

/** Left out of every total: they depend on traffic or usage, not on what the stack creates. */
export const notModeled = [
  "data transfer and NAT data processing (per GB)",
  "load balancer capacity units / data processed",
  "log ingestion and storage (CloudWatch, Cloud Logging)",
  "object storage (S3/GCS) and snapshots",
  "support plans, taxes, discounts (Savings Plans, CUDs, GKE free tier credit)",
];
