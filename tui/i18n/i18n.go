// Package i18n holds the console's own words in English and Japanese.
// Rule titles, phase names and everything else from the defence model come
// from the catalog, which carries both languages itself.
package i18n

import (
	"os"
	"strings"
)

// Lang is a language of the console.
type Lang string

// The console's languages.
const (
	EN Lang = "en"
	JA Lang = "ja"
)

// Parse reads a language tag or locale ("ja", "ja_JP.UTF-8"); anything
// not Japanese is English.
func Parse(s string) Lang {
	s = strings.ToLower(s)
	if s == "ja" || strings.HasPrefix(s, "ja_") || strings.HasPrefix(s, "ja-") || strings.HasPrefix(s, "ja.") {
		return JA
	}
	return EN
}

// FromEnv picks the language from LC_ALL, LC_MESSAGES or LANG.
func FromEnv() Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return Parse(v)
		}
	}
	return EN
}

// T returns the text for key in lang (English when there is no
// translation, the key itself when there is no text).
func (l Lang) T(key string) string {
	if e, ok := words[key]; ok {
		if l == JA && e[1] != "" {
			return e[1]
		}
		return e[0]
	}
	return key
}

// words are the console's texts: key → {English, Japanese}.
var words = map[string][2]string{
	"alerts":        {"Alerts", "アラート"},
	"endpoints":     {"Endpoints", "端末"},
	"timeline":      {"Timeline", "タイムライン"},
	"sources":       {"Sources", "ログソース"},
	"incidents":     {"Incidents", "インシデント"},
	"time":          {"Time", "時刻"},
	"last seen":     {"Last seen", "最終検知"},
	"first seen":    {"First seen", "初回検知"},
	"severity":      {"Sev", "重要度"},
	"rule":          {"Rule", "ルール"},
	"perspective":   {"Persp.", "分析"},
	"phase":         {"Ph", "段階"},
	"endpoint":      {"Endpoint", "端末"},
	"host":          {"Host", "ホスト名"},
	"title":         {"Title", "タイトル"},
	"count":         {"Count", "件数"},
	"summary":       {"Summary", "概要"},
	"peer":          {"Peer", "相手"},
	"segment":       {"Segment", "セグメント"},
	"role":          {"Role", "役割"},
	"owner":         {"Owner", "管理者"},
	"risk":          {"Risk", "リスク"},
	"phases":        {"Phases", "攻撃段階"},
	"events":        {"Events", "イベント"},
	"format":        {"Format", "形式"},
	"state":         {"State", "状態"},
	"offset":        {"Offset", "位置"},
	"rate":          {"ev/s", "件/秒"},
	"rejected":      {"Rejected", "不正行"},
	"lag":           {"Lag", "遅延"},
	"path":          {"File", "ファイル"},
	"score":         {"Score", "スコア"},
	"evidence":      {"Evidence", "証拠"},
	"details":       {"Details", "詳細"},
	"check first":   {"Check first", "最初に確認すること"},
	"measures":      {"Suggested measures", "推奨される暫定対処"},
	"why":           {"Why", "判定理由"},
	"no alerts":     {"No alerts. mamori is watching; alerts appear here as they are raised.", "アラートはありません。検知されるとここに表示されます。"},
	"no match":      {"Nothing matches the filter.", "フィルタに一致するものはありません。"},
	"no endpoints":  {"No endpoints seen yet.", "まだ端末は見つかっていません。"},
	"no events":     {"No events for this endpoint in this range.", "この範囲にこの端末のイベントはありません。"},
	"no sources":    {"No sources are followed (a store opened for review).", "追跡中のログソースはありません（閲覧モード）。"},
	"pick endpoint": {"Pick an endpoint (Endpoints pane, or an alert's t) to see its timeline.", "端末を選ぶとタイムラインが表示されます（端末一覧、またはアラートで t）。"},
	"learning":      {"learning", "学習中"},
	"learned":       {"learned", "学習済"},
	"src":           {"src", "ソース"},
	"readonly":      {"READ-ONLY", "閲覧専用"},
	"live":          {"live", "監視中"},
	"review":        {"review", "閲覧"},
	"store":         {"store", "ストア"},
	"filter":        {"filter", "フィルタ"},
	"acked":         {"acknowledged", "確認済"},
	"hidden":        {"allow-listed", "許可リスト"},
	"allow reason":  {"Allow-list this (hides matching alerts). Reason: ", "許可リストに追加（一致するアラートを非表示）。理由: "},
	"sort":          {"sort", "並び順"},
	"loading":       {"loading…", "読み込み中…"},
	"more above":    {"more above", "さらに前あり"},
	"more below":    {"more below", "さらに後あり"},
	"quit?":         {"Quit mamori? (y/n)", "mamoriを終了しますか? (y/n)"},
	"jump to":       {"Jump to time (2026-11-20 14:00, 14:00, -2h): ", "移動する時刻 (2026-11-20 14:00、14:00、-2h): "},
	"command":       {"command", "コマンド"},
	"unknown cmd":   {"unknown command", "不明なコマンド"},
	"help title":    {"Keys", "キー操作"},
	"all":           {"all", "すべて"},
	"phase names":   {"Attack phases", "攻撃段階"},
}
