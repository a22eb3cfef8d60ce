"""The customer-success terms the workbook uses, in English and in the Japanese the source
texts use (チャーン, ヘルススコア, アップセル…), and the labels of result columns.

One table, so that every report says "NRR" the same way in both languages. Keys are the
canonical names the package uses (column names, band names, segment values).

>>> term("grr", "ja")
'GRR（売上維持率）'
>>> term("logo_churn"), term("logo_churn", "ja")
('Logo churn', '顧客数ベースの解約率')
>>> term("no_such_thing", "ja")  # unknown keys read as words, never an error
'No such thing'
"""

from __future__ import annotations

LANGS = ("en", "ja")

# key: (English, Japanese)
TERMS: dict[str, tuple[str, str]] = {
    # revenue and retention
    "arr": ("ARR", "ARR（年間経常収益）"),
    "mrr": ("MRR", "MRR（月間経常収益）"),
    "start_mrr": ("MRR at start", "期首MRR"),
    "end_mrr": ("MRR at end", "期末MRR"),
    "grr": ("GRR", "GRR（売上維持率）"),
    "nrr": ("NRR", "NRR（売上継続率・拡大込み）"),
    "churn": ("Churn", "チャーン（解約）"),
    "logo_churn": ("Logo churn", "顧客数ベースの解約率"),
    "mrr_churn": ("MRR churn", "MRRチャーン率"),
    "net_mrr_churn": ("Net MRR churn", "ネットMRRチャーン率"),
    "churn_rate": ("Churn rate", "解約率（チャーンレート）"),
    "retention": ("Retention", "リテンション（維持）"),
    "new": ("New", "新規"),
    "expansion": ("Expansion", "拡大（アップセル・クロスセル）"),
    "contraction": ("Contraction", "縮小"),
    "churned": ("Churned", "解約"),
    "renewed": ("Renewed", "更新"),
    "reactivation": ("Reactivation", "再開"),
    "upsell": ("Upsell", "アップセル"),
    "cross_sell": ("Cross-sell", "クロスセル"),
    "ltv": ("Lifetime value (LTV)", "顧客生涯価値（LTV）"),
    "cac": ("Cost to acquire (CAC)", "顧客獲得コスト（CAC）"),
    "cohort": ("Cohort", "コホート"),
    "survival": ("Share still a customer", "継続している顧客の割合"),
    "tenure": ("Tenure", "契約期間"),
    "reason": ("Reason", "理由"),
    "churn_reason": ("Churn reason", "解約理由"),
    # customers and the CS team
    "customers": ("Customers", "顧客数"),
    "units": ("Customers", "顧客数"),
    "accounts": ("Customers", "顧客数"),
    "account_id": ("Customer", "顧客ID"),
    "account_name": ("Customer", "顧客名"),
    "segment": ("Segment", "セグメント"),
    "enterprise": ("Enterprise", "エンタープライズ"),
    "mid_market": ("Mid-market", "ミッドマーケット"),
    "smb": ("SMB", "中小企業（SMB）"),
    "csm": ("CSM", "CSM（カスタマーサクセスマネージャー）"),
    "csm_id": ("CSM", "担当CSM"),
    "customer_success": ("Customer success", "カスタマーサクセス"),
    "support": ("Support", "サポート"),
    "onboarding": ("Onboarding", "オンボーディング"),
    "adoption": ("Adoption", "活用（アダプション）"),
    "time_to_value": ("Time to value", "価値実現までの時間（TTV）"),
    "renewal": ("Renewal", "契約更新"),
    "renewal_date": ("Renewal date", "更新日"),
    "nps": ("NPS", "NPS（ネット・プロモーター・スコア）"),
    "promoters": ("Promoters", "推奨者"),
    "detractors": ("Detractors", "批判者"),
    # health
    "health_score": ("Health score", "ヘルススコア"),
    "score": ("Score", "スコア"),
    "band": ("Band", "判定"),
    "red": ("Red", "赤"),
    "yellow": ("Yellow", "黄"),
    "green": ("Green", "緑"),
    "cta": ("Call to action", "対応アクション（CTA）"),
    "risk": ("Churn risk", "解約リスク"),
    "arr_at_risk": ("ARR at risk", "リスクにさらされたARR"),
    "expected_arr": ("Expected renewal ARR", "更新見込みARR"),
    "blind_spot": ("Usage blind spot", "利用データの死角"),
    "trend": ("Trend", "推移"),
    # table shapes
    "rows": ("Rows", "行数"),
    "columns": ("Columns", "列数"),
    "first_date": ("First date", "最初の日付"),
    "last_date": ("Last date", "最後の日付"),
    "available": ("Available", "利用可"),
    "missing": ("Missing", "不足"),
    "table": ("Table", "テーブル"),
    "analysis": ("Analysis", "分析"),
    "date": ("Date", "日付"),
    "month": ("Month", "月"),
    "share": ("Share", "割合"),
    "low": ("Interval from", "区間下限"),
    "high": ("Interval to", "区間上限"),
    "yes": ("yes", "はい"),
    "no": ("no", "いいえ"),
}


def check_lang(lang: str) -> str:
    """``lang`` if the reports speak it, else a ValueError that names the choices."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r}: reports are written in {' or '.join(LANGS)}")
    return lang


def term(key: str, lang: str = "en") -> str:
    """The word for ``key`` in ``lang``; an unknown key reads as words ("arr_per_csm" →
    "Arr per csm") rather than failing, so a new column never breaks a report."""
    check_lang(lang)
    found = TERMS.get(str(key))
    if found is None:
        return str(key).replace("_", " ").capitalize()
    return found[LANGS.index(lang)]
