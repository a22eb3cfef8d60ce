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
    "account_id": ("Customer ID", "顧客ID"),
    "account_name": ("Name", "顧客名"),
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
    # health and calls to action
    "score_before": ("Score 28 days ago", "28日前のスコア"),
    "change": ("Change (points)", "変化（ポイント）"),
    "usage_score": ("Usage-only score", "利用データのみのスコア"),
    "rule": ("Rule that fired", "該当したルール"),
    "tier": ("Tier", "優先度"),
    "due": ("Due by", "対応期限"),
    "next_renewal": ("Next renewal", "次回の契約更新日"),
    "share_of_arr": ("Share of ARR", "ARRに占める割合"),
    "holistic": ("Holistic", "総合"),
    "product usage": ("Product usage", "製品の利用"),
    "relationship": ("Relationship", "関係性"),
    "voice of customer": ("Voice of customer", "顧客の声"),
    "outcomes": ("Outcomes", "成果"),
    # renewals
    "arr_renewing": ("ARR renewing", "更新対象ARR"),
    "churn_risk": ("Churn risk", "解約リスク"),
    "health_band": ("Health band", "ヘルス判定"),
    "days_to_renewal": ("Days to renewal", "更新までの日数"),
    "last_touch": ("Last touchpoint", "最終接点"),
    "last_touch_kind": ("Touchpoint", "接点の種類"),
    "open_tickets": ("Open tickets", "未解決チケット"),
    "window": ("Renewing", "更新時期"),
    "mean_risk": ("Mean churn risk", "平均解約リスク"),
    "total": ("Total", "合計"),
    "1 CSM play": ("1 CSM play", "1 CSMが個別に対応"),
    "2 digital": ("2 digital", "2 デジタル施策"),
    "3 standard": ("3 standard", "3 通常の更新手続き"),
    "qbr": ("Business review (QBR)", "QBR"),
    "ebr": ("Executive business review (EBR)", "EBR"),
    "check_in": ("Check-in", "定期確認"),
    "email": ("Email", "メール"),
    "training": ("Training", "トレーニング"),
    "webinar": ("Webinar", "ウェビナー"),
    "onboarding_call": ("Onboarding call", "オンボーディングの打ち合わせ"),
    # churn analysis
    "customers_lost": ("Customers lost", "解約した顧客数"),
    "interval": ("95% interval", "95%信頼区間"),
    "movement": ("Movement", "増減の内訳"),
    "share_of_start": ("Share of MRR at start", "期首MRRに対する割合"),
    "net_change": ("Net change", "純増減"),
    "arr_lost": ("ARR lost", "失ったARR"),
    "share_of_arr_lost": ("Share of ARR lost", "失ったARRに占める割合"),
    "survival_24m": ("Still a customer at 24 months", "24か月後の継続率"),
    "rmst_24m": (
        "Average months kept of the first 24 (RMST)",
        "最初の24か月の平均継続月数（RMST）",
    ),
    "lost_month": ("Month lost", "解約月"),
    "months_since_start": ("Months since signing", "契約開始からの月数"),
    "signing_quarter": ("Quarter signed", "契約開始の四半期"),
    "months_since_first_payment": ("Months since first payment", "初回課金からの月数"),
    "not_recorded": ("Not recorded", "記録なし"),
    "name": ("Name", "顧客名"),
    "plausibility": ("Plausibility warning", "妥当性の警告"),
    # churn reasons (renewals.churn_reason)
    "roi_not_demonstrated": ("ROI not demonstrated", "ROIを示せなかった"),
    "poor_fit": ("Poor fit", "自社に合わない顧客だった"),
    "switched_to_competitor": ("Switched to a competitor", "競合製品への乗り換え"),
    "low_adoption": ("Low adoption", "活用が進まなかった"),
    "budget_cuts": ("Budget cuts", "予算削減"),
    "support_experience": ("Support experience", "サポートへの不満"),
    "product_gaps": ("Product gaps", "製品機能の不足"),
    "champion_left": ("Champion left", "推進者の退職・異動"),
    "priority_change": ("Change of priorities", "優先順位の変化"),
    "goals_achieved": ("Goals achieved", "目標を達成した"),
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
