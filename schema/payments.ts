import { z } from "@hono/zod-openapi";

/** Gateways a brand connects with its own merchant account (the sandbox needs none and exists in development only). */
export const PaymentProviderName = z.enum(["wechatpay", "alipay"]).openapi("PaymentProviderName");
export type PaymentProviderName = z.infer<typeof PaymentProviderName>;

const Pem = z.string().trim().min(64).max(8192).regex(/^-----BEGIN [A-Z ]+-----[\s\S]+-----END [A-Z ]+-----$/, "expected a PEM block");
const GatewayUrl = z.string().url().max(300);

/** WeChat Pay API v3 merchant credentials (商户号, 商户API证书序列号 and private key, APIv3 key, 微信支付平台公钥). */
export const WechatPayAccount = z
  .object({
    mchId: z.string().trim().regex(/^\d{6,16}$/, "mchid is digits"),
    appId: z.string().trim().min(6).max(40),
    merchantSerialNo: z.string().trim().regex(/^[0-9A-Fa-f]{8,64}$/),
    merchantPrivateKeyPem: Pem,
    apiV3Key: z.string().length(32, "the APIv3 key is 32 characters"),
    platformSerialNo: z.string().trim().min(8).max(80),
    platformPublicKeyPem: Pem,
    gatewayUrl: GatewayUrl.default("https://api.mch.weixin.qq.com"),
  })
  .openapi("WechatPayAccount");
export type WechatPayAccount = z.infer<typeof WechatPayAccount>;

/** Alipay open platform app credentials (APPID, 应用私钥, 支付宝公钥) for RSA2. */
export const AlipayAccount = z
  .object({
    appId: z.string().trim().regex(/^\d{8,32}$/, "APPID is digits"),
    appPrivateKeyPem: Pem,
    alipayPublicKeyPem: Pem,
    sellerId: z
      .string()
      .trim()
      .regex(/^2088\d{12}$/, "the seller id (PID) is 2088 and 12 digits")
      .optional()
      .openapi({ description: "The merchant's PID (2088…): when set, a notify whose seller_id is another's is refused (wrong_seller)" }),
    gatewayUrl: GatewayUrl.default("https://openapi.alipay.com/gateway.do"),
  })
  .openapi("AlipayAccount");
export type AlipayAccount = z.infer<typeof AlipayAccount>;

export const PaymentAccountInput = z
  .discriminatedUnion("provider", [
    z.object({ provider: z.literal("wechatpay"), enabled: z.boolean().default(true), config: WechatPayAccount }).strict(),
    z.object({ provider: z.literal("alipay"), enabled: z.boolean().default(true), config: AlipayAccount }).strict(),
  ])
  .openapi("PaymentAccountInput");
export type PaymentAccountInput = z.infer<typeof PaymentAccountInput>;

/** What the console shows of a connected account: never a key. */
export const PaymentAccount = z
  .object({
    id: z.string(),
    provider: PaymentProviderName,
    enabled: z.boolean(),
    merchantId: z.string().openapi({ description: "mchid or APPID" }),
    gatewayUrl: z.string(),
    updatedAt: z.string(),
  })
  .openapi("PaymentAccount");
export type PaymentAccount = z.infer<typeof PaymentAccount>;

export const StartPaymentInput = z.object({ provider: z.string().trim().min(1).max(32).openapi({ example: "wechatpay" }) }).strict().openapi("StartPaymentInput");
export const StartPaymentResult = z.object({ redirectUrl: z.string() }).openapi("StartPaymentResult");
